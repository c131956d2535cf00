"""The chat page in a hurry: htmx sends without a reload, the no-JS form redirects (PRG), drafts survive a stale
tab, the finished page says the length once."""

import pytest
from django.test import Client
from django.urls import reverse

from collection.models import Turn
from tests.collection.factories import CampaignFactory, ChatSessionFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def chat(fake_backend):
    user = UserFactory()
    session = ChatSessionFactory(worker=user, campaign=CampaignFactory(min_turns=2, max_turns=8))
    client = Client()
    client.force_login(user)
    return client, session


def _send(client, session, text, expected, **extra):
    data = {"text": text, "client_message_id": "", "expected_turn_count": expected}
    return client.post(reverse("frontend:chat_send", args=[session.pk]), data, **extra)


def test_an_htmx_send_gets_the_chat_body_back_not_a_page(chat):
    client, session = chat
    r = _send(client, session, "hello there", 0, **HX)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and 'id="turn-counter"' in html
    assert "hello there" in html and "reply to: hello there" in html and 'id="send"' in html
    assert 'hx-post="/chat/session/' in html and "Enter sends, Shift+Enter makes a new line." in html


def test_the_chat_page_has_the_typing_indicator_and_a_live_region(chat):
    client, session = chat
    html = client.get(reverse("frontend:chat", args=[session.pk])).content.decode()
    assert 'id="typing"' in html and "The model is typing" in html
    assert 'id="chat-live"' in html and 'aria-live="polite"' in html
    assert 'name="text"' in html and 'method="post"' in html  # the plain form works without JavaScript


def test_a_stale_tab_keeps_the_message_in_the_box_with_and_without_htmx(chat):
    client, session = chat
    _send(client, session, "first", 0)
    stale = _send(client, session, "typed in an old tab", 0, **HX)
    assert stale.status_code == 409 and "moved on" in stale.content.decode()
    assert "typed in an old tab</textarea>" in stale.content.decode()
    plain = _send(client, session, "typed in an old tab", 0)
    assert plain.status_code == 302 and plain["Location"] == reverse("frontend:chat", args=[session.pk])
    page = client.get(plain["Location"]).content.decode()
    assert "moved on" in page and "typed in an old tab</textarea>" in page
    reload = client.get(plain["Location"]).content.decode()
    assert "moved on" not in reload and "typed in an old tab</textarea>" in reload  # said once, draft kept
    assert Turn.objects.filter(session=session, text="typed in an old tab").count() == 0
    _send(client, session, "now it goes", 2)
    assert "typed in an old tab" not in client.get(plain["Location"]).content.decode()  # sent: draft dropped


def test_a_stale_draft_longer_than_the_limit_says_so_and_keeps_what_fits(chat, settings):
    client, session = chat
    _send(client, session, "first", 0)
    limit = settings.LAMDA_MAX_MESSAGE_CHARS
    huge = "z" * (3 * limit)
    r = _send(client, session, huge, 0)
    page = client.get(r["Location"]).content.decode()
    assert f"the limit is {limit}" in page and f"Only its first {2 * limit} characters are kept" in page
    assert "z" * (2 * limit) + "</textarea>" in page and "z" * (2 * limit + 1) not in page
    htmx = _send(client, session, huge, 0, **HX)
    assert htmx.status_code == 400 and f"the limit is {limit}" in htmx.content.decode()


def test_sending_into_a_finished_chat_with_htmx_goes_to_the_finished_page(chat):
    client, session = chat
    _send(client, session, "one", 0)
    client.post(reverse("frontend:chat_finish", args=[session.pk]))
    r = _send(client, session, "late", 2, **HX)
    assert r["HX-Redirect"] == reverse("frontend:chat_finished", args=[session.pk])


def test_the_finished_page_says_the_length_once(chat):
    client, session = chat
    _send(client, session, "one", 0)
    client.post(reverse("frontend:chat_finish", args=[session.pk]))
    html = client.get(reverse("frontend:chat_finished", args=[session.pk])).content.decode()
    assert "Your chat is finished: 2 turns kept." in html and html.count("2 turns") == 1
    assert "completion-code" not in html  # not from a panel

"""Chat pages: instructions and consent, the chat (counter, send, retry, finish), the finished page;
escaping."""

import re

import pytest
from django.urls import reverse

from collection.backends import BackendError
from collection.models import ChatSession, Consent, Turn
from tests.collection.factories import CampaignFactory, ChatSessionFactory
from tests.factories import UserFactory

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def browser(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def campaign(db):
    return CampaignFactory(min_turns=4, max_turns=6, instructions="Talk about *anything*.\n\nBe kind.")


def start(browser, campaign):
    r = browser.post(reverse("frontend:campaign_start", args=[campaign.slug]), {"consent": "yes"})
    assert r.status_code == 302
    return ChatSession.objects.get(campaign=campaign, status="active")


def send(browser, session, text, **extra):
    page = browser.get(reverse("frontend:chat", args=[session.pk])).content.decode()
    cid = re.search(r'name="client_message_id" value="([0-9a-f]+)"', page).group(1)
    data = {"text": text, "client_message_id": cid, "expected_turn_count": session.turn_count, **extra}
    return browser.post(reverse("frontend:chat_send", args=[session.pk]), data)


def test_login_required(client, campaign):
    r = client.get(reverse("frontend:campaign", args=[campaign.slug]))
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_consent_is_required_before_starting(browser, campaign, user):
    page = browser.get(reverse("frontend:campaign", args=[campaign.slug]))
    assert b"Talk about *anything*." in page.content and b'name="consent"' in page.content
    r = browser.post(reverse("frontend:campaign_start", args=[campaign.slug]), {}, follow=True)
    assert b"Tick the consent box" in r.content
    assert not ChatSession.objects.filter(worker=user).exists()
    session = start(browser, campaign)
    assert Consent.objects.filter(campaign=campaign, worker=user).exists()
    resume = browser.get(reverse("frontend:campaign", args=[campaign.slug]))
    assert b"Resume your chat" in resume.content
    assert start(browser, campaign).pk == session.pk, "starting again resumes"


def test_chat_to_minimum_then_finish(browser, campaign, fake_backend):
    session = start(browser, campaign)
    page = browser.get(reverse("frontend:chat", args=[session.pk])).content.decode()
    assert "<strong>0</strong> of 4–6 turns" in page
    assert re.search(r"<button[^>]*disabled[^>]*>Finish the chat", page), "finish disabled before the minimum"

    r = send(browser, session, "hello")
    assert r.status_code == 302 and r["Location"] == reverse("frontend:chat", args=[session.pk])
    session.refresh_from_db()
    page = browser.get(reverse("frontend:chat", args=[session.pk])).content.decode()
    assert "<strong>2</strong> of 4–6 turns" in page and "2 more before you can finish" in page
    assert "reply to: hello" in page

    # the server refuses an early finish even though the button is disabled
    r = browser.post(reverse("frontend:chat_finish", args=[session.pk]), follow=True)
    assert "2 more to go" in r.content.decode()

    send(browser, session, "again")
    page = browser.get(reverse("frontend:chat", args=[session.pk])).content.decode()
    assert not re.search(r"<button[^>]*disabled[^>]*>Finish the chat", page)
    r = browser.post(reverse("frontend:chat_finish", args=[session.pk]))
    assert r["Location"] == reverse("frontend:chat_finished", args=[session.pk])
    done = browser.get(r["Location"]).content.decode()
    assert "will now be rated" in done and "reply to: again" in done
    session.refresh_from_db()
    assert session.status == "finished" and session.sent_for_rating


def test_reaching_max_turns_lands_on_the_finished_page(browser, campaign, fake_backend):
    session = start(browser, campaign)
    for i in range(2):
        send(browser, session, f"m{i}")
        session.refresh_from_db()
    r = send(browser, session, "last")
    assert r["Location"] == reverse("frontend:chat_finished", args=[session.pk])
    done = browser.get(r["Location"]).content.decode()
    assert "6 turns kept" in done and "maximum length" in done and done.count("6 turns") == 1  # said once
    assert browser.get(reverse("frontend:chat", args=[session.pk]))["Location"] == r["Location"]


def test_model_down_keeps_message_and_offers_retry(browser, campaign, fake_backend):
    session = start(browser, campaign)
    fake_backend.fail_with = BackendError("the model server at http://127.0.0.1:1/v1 could not be reached")
    r = send(browser, session, "anyone there?")
    page = browser.get(r["Location"]).content.decode()
    assert page.count("did not answer") == 1 and "Your message is saved" in page  # once, in plain words
    assert "could not be reached" not in page and "127.0.0.1" not in page  # no internals for crowdworkers
    assert "anyone there?" in page and "Retry the reply" in page
    assert 'id="send"' not in page, "no new message until the reply exists"
    r = browser.post(reverse("frontend:chat_retry", args=[session.pk]), follow=True)  # fails again
    page = r.content.decode()
    assert page.count("did not answer") == 1 and "last try at" in page  # still once, with when it was tried
    fake_backend.fail_with = None
    r = browser.post(reverse("frontend:chat_retry", args=[session.pk]), follow=True)
    page = r.content.decode()
    assert "reply to: anyone there?" in page and "Retry the reply" not in page


def test_bad_message_is_shown_again_with_a_one_line_error(browser, campaign, fake_backend, settings):
    session = start(browser, campaign)
    r = send(browser, session, "   ")
    assert r.status_code == 302 and r["Location"] == reverse("frontend:chat", args=[session.pk])  # PRG
    assert "Your message is empty." in browser.get(r["Location"]).content.decode()
    long = "y" * (settings.LAMDA_MAX_MESSAGE_CHARS + 1)
    r = send(browser, session, long)
    page = browser.get(r["Location"]).content.decode()
    assert "the limit is 2000" in page and long in page, "the draft is not lost"
    assert "the limit is 2000" not in browser.get(r["Location"]).content.decode(), "the error is said once"
    assert Turn.objects.filter(session=session).count() == 0


def test_double_submit_stores_one_message(browser, campaign, fake_backend):
    session = start(browser, campaign)
    data = {"text": "hi", "client_message_id": "abc123", "expected_turn_count": 0}
    browser.post(reverse("frontend:chat_send", args=[session.pk]), data)
    browser.post(reverse("frontend:chat_send", args=[session.pk]), data)
    assert Turn.objects.filter(session=session, speaker="human").count() == 1


def test_stale_tab_gets_a_message_not_an_error(browser, campaign, fake_backend):
    session = start(browser, campaign)
    send(browser, session, "first")
    r = browser.post(
        reverse("frontend:chat_send", args=[session.pk]),
        {"text": "from an old tab", "client_message_id": "old", "expected_turn_count": 0},
        follow=True,
    )
    assert r.status_code == 200 and "moved on" in r.content.decode()


def test_other_workers_pages_are_404(browser, db):
    other = ChatSessionFactory(turns=2)
    for name in ("frontend:chat", "frontend:chat_finished"):
        assert browser.get(reverse(name, args=[other.pk])).status_code == 404
    for name in ("frontend:chat_send", "frontend:chat_retry", "frontend:chat_finish"):
        assert browser.post(reverse(name, args=[other.pk]), {"text": "x"}).status_code == 404
    assert browser.get(reverse("frontend:campaign", args=["no-such-campaign"])).status_code == 404


def test_script_tag_shows_as_text_on_every_chat_page(browser, campaign, fake_backend):
    session = start(browser, campaign)
    send(browser, session, XSS)
    session.refresh_from_db()
    assert Turn.objects.get(session=session, index=0).text == XSS
    pages = [browser.get(reverse("frontend:chat", args=[session.pk]))]
    too_long = send(browser, session, XSS + "x" * 3000)  # the page that shows the draft back with an error
    assert too_long.status_code == 302
    pages.append(browser.get(too_long["Location"]))
    browser.get(pages[-1].request["PATH_INFO"])  # the draft is dropped once a message is sent, below
    send(browser, session, "two")
    assert browser.post(reverse("frontend:chat_finish", args=[session.pk])).status_code == 302
    pages.append(browser.get(reverse("frontend:chat_finished", args=[session.pk])))
    for page in pages:
        assert page.status_code in (200, 400)
        html = page.content.decode()
        assert XSS not in html, page.request["PATH_INFO"]
        assert ESCAPED in html


def test_three_megabyte_form_post_is_400_not_500(browser, campaign, fake_backend):
    session = start(browser, campaign)
    r = browser.post(reverse("frontend:chat_send", args=[session.pk]), {"text": "x" * (3 * 1024 * 1024)})
    assert r.status_code == 400
    assert Turn.objects.filter(session=session).count() == 0


@pytest.mark.django_db
def test_a_message_sent_from_a_stale_tab_after_the_chat_finished_elsewhere_is_shown_not_dropped(fake_backend):
    from django.test import Client

    from collection.services.chat_session import session_finish

    user = UserFactory()
    session = ChatSessionFactory(worker=user, campaign=CampaignFactory(min_turns=2), turns=2)
    client = Client()
    client.force_login(user)
    session_finish(session_id=session.pk, worker=user)  # "tab A"
    r = client.post(reverse("frontend:chat_send", args=[session.pk]), {"text": "my careful last words"}, follow=True)
    html = r.content.decode()
    assert ChatSession.objects.get(pk=session.pk).status == "finished"
    assert 'id="unsent"' in html and "my careful last words" in html
    assert (
        "my careful last words" not in client.get(reverse("frontend:chat_finished", args=[session.pk])).content.decode()
    )

"""Bad input to the pages and the admin: a 4xx (or a one-line message on the page), never a 500. The NUL
character cannot be stored by PostgreSQL; before the fixes it reached queries as a DataError (a 500)."""

import pytest
from django.test import Client
from django.urls import reverse

from collection.models import ChatSession, Turn
from frontend.middleware import MESSAGE, RejectNulMiddleware
from tests.annotation.factories import rating_items
from tests.collection.factories import CampaignFactory, ChatSessionFactory
from tests.collection.fakes import FakeBackend
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NUL_MIDDLEWARE = "frontend.middleware.RejectNulMiddleware"


@pytest.fixture
def with_nul_guard(settings):
    """The middleware as config/settings.py installs it (right after SecurityMiddleware)."""
    if NUL_MIDDLEWARE not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [settings.MIDDLEWARE[0], NUL_MIDDLEWARE, *settings.MIDDLEWARE[1:]]


def _login(user=None, client=None) -> Client:
    client = client or Client()
    client.force_login(user or UserFactory())
    return client


def test_rate_page_with_a_nul_campaign_filter_is_a_404_page_not_a_500(settings):
    # the view's own defence, without the middleware in front of it
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != NUL_MIDDLEWARE]
    rating_items()
    r = _login().get(reverse("frontend:rate"), {"campaign": "a\x00b"})
    assert r.status_code == 404 and "There is no campaign" in r.content.decode()


def test_chat_page_with_a_nul_client_message_id_keeps_the_draft(monkeypatch):
    monkeypatch.setattr("collection.backends.backend_for", lambda endpoint: FakeBackend())
    user = UserFactory()
    session = ChatSessionFactory(worker=user, campaign=CampaignFactory(min_turns=4, max_turns=8))
    data = {"text": "my carefully written message", "client_message_id": "abc\x00"}
    client = _login(user)
    r = client.post(reverse("frontend:chat_send", args=[session.pk]), data)
    assert r.status_code == 302 and r["Location"] == reverse("frontend:chat", args=[session.pk])  # PRG
    page = client.get(r["Location"]).content.decode()
    assert "my carefully written message" in page and "NUL" in page
    htmx = client.post(reverse("frontend:chat_send", args=[session.pk]), data, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 400 and "my carefully written message" in htmx.content.decode()
    assert not Turn.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/admin/collection/chatsession/?status__exact=%00",
        "/admin/annotation/qualitylabel/?sensible__exact=x%00",
        "/admin/collection/turn/?model_id=%00",
        "/rate/?campaign=%00",
    ],
)
def test_nul_in_the_query_string_is_a_400(with_nul_guard, admin_client, path):
    r = admin_client.get(path)
    assert r.status_code == 400 and MESSAGE in r.content.decode()


def test_nul_in_an_api_query_or_header_is_a_json_400(with_nul_guard, worker):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=worker)
    client = Client()
    r = client.get("/api/v1/collection/chat/campaigns/?x=%00", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert r.status_code == 400 and r.json() == {"detail": MESSAGE}
    # a NUL inside the token reached the token lookup (DataError, 500) through servers that pass it on
    r = client.get("/api/v1/collection/chat/campaigns/", HTTP_AUTHORIZATION=f"Token ab\x00{token.key}")
    assert r.status_code == 400


def test_nul_guard_leaves_clean_requests_and_form_bodies_alone(with_nul_guard, monkeypatch):
    # form fields are checked by the view (it keeps the worker's draft); the guard must not pre-empt that
    monkeypatch.setattr("collection.backends.backend_for", lambda endpoint: FakeBackend())
    user = UserFactory()
    session = ChatSessionFactory(worker=user, campaign=CampaignFactory(min_turns=4, max_turns=8))
    client = _login(user)
    assert client.get(reverse("frontend:chat", args=[session.pk])).status_code == 200
    r = client.post(reverse("frontend:chat_send", args=[session.pk]), {"text": "bad\x00 draft"}, follow=True)
    assert r.status_code == 200 and "bad" in r.content.decode() and MESSAGE not in r.content.decode()
    assert ChatSession.objects.get(pk=session.pk).turn_count == 0


def test_middleware_is_installed_in_settings(settings):
    # fails until config/settings.py lists it (see the report / docs/http-hardening.md)
    assert NUL_MIDDLEWARE in settings.MIDDLEWARE
    assert RejectNulMiddleware  # importable

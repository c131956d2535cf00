"""Token API requests skip the session, authentication and messages middleware (config/middleware.py); every other
request gets them as before, and the API's security holds: a token is checked (a wrong one is refused even with a
logged-in session cookie), session requests keep their CSRF check, Django's checks still pass."""

import pytest
from django.core.management import call_command
from django.test import Client, RequestFactory
from rest_framework.authtoken.models import Token

from config import throttling
from config.middleware import (
    AuthenticationMiddlewareForBrowsers,
    MessageMiddlewareForBrowsers,
    SessionMiddlewareForBrowsers,
    token_api_request,
)
from tests.annotation.factories import rating_items
from tests.factories import UserFactory

NEXT = "/api/v1/annotation/assignments/next/"


@pytest.fixture(autouse=True)
def fresh_counters():
    real = throttling._redis()
    real.flushdb()
    yield
    real.flushdb()


@pytest.mark.parametrize(
    ("path", "header", "skipped"),
    [
        (NEXT, "Token abc", True),
        (NEXT, "token abc", True),  # DRF reads the scheme in any case
        (NEXT, "Token", True),  # DRF refuses it ("no credentials provided")
        (NEXT, "", False),
        (NEXT, "Bearer abc", False),
        (NEXT, "Tokenabc", False),
        ("/rate/", "Token abc", False),  # a page: always the full middleware
        ("/admin/", "Token abc", False),
    ],
)
def test_which_requests_skip(path, header, skipped):
    request = RequestFactory().post(path, HTTP_AUTHORIZATION=header) if header else RequestFactory().post(path)
    assert token_api_request(request) is skipped


def test_the_wrapped_middleware_run_for_pages_and_not_for_token_api_requests():
    seen = {}

    def view(request):
        seen.update(
            session=hasattr(request, "session"), user=hasattr(request, "user"), msgs=hasattr(request, "_messages")
        )
        from django.http import HttpResponse

        return HttpResponse("ok")

    chain = SessionMiddlewareForBrowsers(AuthenticationMiddlewareForBrowsers(MessageMiddlewareForBrowsers(view)))
    chain(RequestFactory().get("/tasks/", HTTP_AUTHORIZATION="Token abc"))
    assert seen == {"session": True, "user": True, "msgs": True}
    chain(RequestFactory().get(NEXT))
    assert seen == {"session": True, "user": True, "msgs": True}
    seen.clear()
    chain(RequestFactory().get(NEXT, HTTP_AUTHORIZATION="Token abc"))
    assert seen == {"session": False, "user": False, "msgs": False}


@pytest.mark.django_db
def test_token_requests_are_authenticated_by_the_token_and_a_wrong_one_is_refused_despite_a_session():
    rating_items(turns=2, min_turns=2)
    rater = UserFactory()
    token = Token.objects.create(user=rater)
    other = UserFactory()
    client = Client()
    client.force_login(other)  # a valid session cookie of another user rides along
    r = client.post(NEXT, {}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert r.status_code == 201, r.content
    assert r.json()["id"]
    from annotation.models import Lease

    assert Lease.objects.filter(rater=rater).exists() and not Lease.objects.filter(rater=other).exists()
    for header in (f"Token {'0' * 40}", "Token", "token"):
        r = client.post(NEXT, {}, content_type="application/json", HTTP_AUTHORIZATION=header)
        assert r.status_code == 403, (header, r.content)
        assert r["Content-Type"].startswith("application/json")
    stats = client.get("/api/v1/annotation/campaigns/nope/stats/", HTTP_AUTHORIZATION=f"Token {'1' * 40}")
    assert stats.status_code == 403  # the default-authenticated views too: the session is not used for it


@pytest.mark.django_db
def test_session_requests_to_the_api_keep_their_session_and_csrf_check():
    rating_items(turns=2, min_turns=2)
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    r = client.post(NEXT, {}, content_type="application/json")
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    assert Client().post(NEXT, {}, content_type="application/json").status_code == 403  # no credentials at all
    relaxed = Client()
    relaxed.force_login(UserFactory())
    assert relaxed.post(NEXT, {}, content_type="application/json").status_code == 201


@pytest.mark.django_db
def test_pages_still_get_sessions_and_django_checks_pass():
    user = UserFactory()
    client = Client()
    client.force_login(user)
    r = client.get("/")
    assert r.status_code in (200, 302)
    assert r.wsgi_request.user == user and r.wsgi_request.session.session_key
    call_command("check")  # admin.E408-E410 find the middleware (subclasses of Django's)

"""Brute-force limits: wrong passwords lock a (username, address) pair with a 429 (django-axes) until an admin
unlocks it or the cool-off ends; wrong API tokens are throttled per address with a 429 too."""

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from config import throttling
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counters():
    """The API counters live in the test Redis: start (and leave) every test at zero."""
    real = throttling._redis()
    real.flushdb()
    yield
    real.flushdb()


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_thirty_wrong_passwords_then_the_right_one_is_refused_with_429(settings):
    user = UserFactory(username="victim")
    user.set_password("the-right-password")
    user.save()
    client = Client()
    codes = [_login(client, "victim", f"guess-{i}").status_code for i in range(30)]
    limit = settings.AXES_FAILURE_LIMIT
    assert codes[: limit - 1] == [200] * (limit - 1)  # the login page again, "did not match"
    assert set(codes[limit:]) == {429}
    r = _login(client, "victim", "the-right-password")
    assert r.status_code == 429 and "Too many login attempts" in r.content.decode()
    assert int(r.headers["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "_auth_user_id" not in client.session


def test_an_admin_unlocks_the_account_in_the_admin(settings):
    user = UserFactory(username="victim")
    user.set_password("pw-12345678")
    user.save()
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "victim", f"guess-{i}")
    assert _login(client, "victim", "pw-12345678").status_code == 429
    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))
    attempt = AccessAttempt.objects.get(username="victim")
    assert admin.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200
    r = admin.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert r.status_code == 302
    assert _login(client, "victim", "pw-12345678").status_code == 302  # logged in


def test_another_address_is_not_locked_out(settings):
    user = UserFactory(username="victim")
    user.set_password("pw-12345678")
    user.save()
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(REMOTE_ADDR="10.0.0.66"), "victim", f"guess-{i}")
    assert _login(Client(REMOTE_ADDR="10.0.0.66"), "victim", "pw-12345678").status_code == 429
    assert _login(Client(REMOTE_ADDR="10.0.0.7"), "victim", "pw-12345678").status_code == 302


def _next(client):
    return client.post("/api/v1/annotation/assignments/next/", {}, content_type="application/json")


def test_guessed_api_tokens_are_throttled_per_address_even_a_right_one(settings):
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["failed_auth"].split("/")[0])
    codes = [
        _next(Client(REMOTE_ADDR="10.0.0.66", HTTP_AUTHORIZATION=f"Token guess{i}")).status_code
        for i in range(limit + 5)
    ]
    assert set(codes[:limit]) == {403}  # wrong token (the session scheme answers first: 403, not 401)
    assert set(codes[limit:]) == {429}
    token = Token.objects.create(user=UserFactory())
    r = _next(Client(REMOTE_ADDR="10.0.0.66", HTTP_AUTHORIZATION=f"Token {token.key}"))
    assert r.status_code == 429 and "Retry-After" in r.headers and "Too many wrong API tokens" in r.json()["detail"]
    assert r.json()["detail"].count("seconds") <= 1  # one sentence about the wait, not two
    ok = _next(Client(REMOTE_ADDR="10.0.0.7", HTTP_AUTHORIZATION=f"Token {token.key}"))
    assert ok.status_code == 404 and ok.json()["code"] == "no_work"  # another address is not affected


def test_per_user_rate_limit_answers_429_with_retry_after(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**rates, "user": "3/min"}}
    token = Token.objects.create(user=UserFactory())
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    codes = [_next(client).status_code for _ in range(5)]
    assert codes == [404, 404, 404, 429, 429]
    r = _next(client)
    assert int(r.headers["Retry-After"]) >= 1 and "throttled" in r.json()["detail"].lower()


def test_redis_down_skips_the_limits_instead_of_failing_requests(monkeypatch):
    monkeypatch.setattr(throttling, "_client", None)
    monkeypatch.setattr(throttling.settings, "LAMDA_RATE_LIMIT_REDIS_URL", "redis://127.0.0.1:9/1", raising=False)
    token = Token.objects.create(user=UserFactory())
    r = _next(Client(HTTP_AUTHORIZATION=f"Token {token.key}"))
    assert r.status_code == 404 and r.json()["code"] == "no_work"
    bad = _next(Client(HTTP_AUTHORIZATION="Token wrong"))
    assert bad.status_code == 403

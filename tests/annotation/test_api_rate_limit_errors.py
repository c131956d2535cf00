"""A rate-limit counter that fails in a way redis-py does not wrap (seen under load: ValueError "I/O operation on
closed file" from its socket buffer) skips the limits for that request, as a Redis outage does, instead of a 500."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from config import throttling
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class _BrokenPipeline:
    def __init__(self, exc):
        self.exc = exc

    def __getattr__(self, name):
        return lambda *args, **kwargs: self

    def execute(self):
        raise self.exc


class _BrokenRedis:
    def __init__(self, exc):
        self.exc = exc

    def pipeline(self, transaction=False):
        return _BrokenPipeline(self.exc)


@pytest.mark.parametrize("exc", [ValueError("I/O operation on closed file."), OSError(9, "Bad file descriptor")])
def test_a_broken_counter_connection_is_not_a_500(monkeypatch, items, exc):
    monkeypatch.setattr(throttling, "_redis", lambda: _BrokenRedis(exc))
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory()).key}")
    r = client.post(reverse("annotation_api:assignment-next"), {}, content_type="application/json")
    assert r.status_code == 201
    bad = Client(HTTP_AUTHORIZATION="Token wrong")
    assert bad.post(reverse("annotation_api:assignment-next")).status_code == 403

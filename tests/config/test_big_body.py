"""A request body over the size limit is answered 400 and logged as one line, not a traceback per request."""

import logging

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
BIG = b'{"text": "' + b"x" * (5 * 1024 * 1024) + b'"}'
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/api/v1/annotation/assignments/next/", "application/json"), ("/accounts/login/", FORM)],
)
def test_a_5_mb_body_is_a_400_logged_without_a_traceback(path, content_type, caplog):
    token = Token.objects.create(user=UserFactory())
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    with caplog.at_level(logging.INFO):
        r = client.post(path, BIG, content_type=content_type)
    assert r.status_code == 400
    if path.startswith("/api/"):  # JSON like every other API answer
        assert r["Content-Type"] == "application/json" and r.json()["code"] == "bad_request"
    assert caplog.records, "the refusal is logged"
    for record in caplog.records:
        assert record.exc_info is None and "Traceback" not in caplog.text, caplog.text[:2000]

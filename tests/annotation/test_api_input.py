"""The rating path checks its usual request bodies directly for speed; for every body the documented serializers
must give the same validated data or the same errors, and the Accept header is still honoured."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import ValidationError

from annotation.api import serializers
from annotation.api.serializers import ClaimInput, SubmitAndNextInput, claim_input, submit_and_next_input

ANSWERS = [
    {"sensible": "yes", "specific": "no"},
    {"sensible": "yes", "specific": None, "interesting": ""},
    {},
    {"sensible": " yes "},  # trimmed by the serializer's CharField
    {"sensible": "yes\n"},
    {"sensible": "sí"},  # not ASCII: the serializer decides
    {"sensible": "y\x00es"},  # NUL: refused
    {"sensible": "\ud800"},  # a lone surrogate: refused
    {"sensible": 1},
    {"sensible": True},
    {"sensible": ["yes"]},
    {"sensible": {"a": "b"}},
    {"sensible": "x" * 20_000},
]
CAMPAIGNS = [None, "bench", "a-b_c9", "", " bench", "not a slug", "ünï", 5, ["bench"]]
ABSENT = object()


def _bodies():
    for answers in ANSWERS:
        yield {"answers": answers}
        for campaign in CAMPAIGNS:
            yield {"answers": answers, "campaign": campaign}
    yield from [{}, {"campaign": "bench"}, {"answers": "yes"}, {"answers": None}, {"answers": ["yes"]}]
    yield from [{"answers": {"sensible": "yes"}, "sensible": "yes"}, [], "text", None, 5]


def _serializer(cls, data):
    serializer = cls(data=data)
    return ("ok", dict(serializer.validated_data)) if serializer.is_valid() else ("error", serializer.errors)


def _direct(check, data):
    try:
        return "ok", check(data)
    except ValidationError as exc:
        return "error", exc.detail


def _short(body) -> str:
    return repr(body)[:60]


@pytest.mark.parametrize("body", list(_bodies()), ids=_short)
def test_submit_and_next_input_equals_its_serializer(body):
    assert _direct(submit_and_next_input, body) == _serializer(SubmitAndNextInput, body)


@pytest.mark.parametrize("body", [{}, *({"campaign": c} for c in CAMPAIGNS), {"other": 1}, [], None], ids=_short)
def test_claim_input_equals_its_serializer(body):
    assert _direct(claim_input, body) == _serializer(ClaimInput, body)


def test_the_usual_bodies_do_not_build_a_serializer(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("serializer built for a plain body")

    monkeypatch.setattr(serializers, "SubmitAndNextInput", refuse)
    monkeypatch.setattr(serializers, "ClaimInput", refuse)
    body = {"answers": {"sensible": "yes", "specific": None}, "campaign": "bench"}
    assert submit_and_next_input(body) == body
    assert claim_input({}) == {} and claim_input({"campaign": "bench"}) == {"campaign": "bench"}
    with pytest.raises(AssertionError):
        submit_and_next_input({"answers": {"sensible": " yes"}})  # anything unusual goes to the serializer


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "status"),
    [(None, 201), ("*/*", 201), ("application/json", 201), ("text/html, application/json;q=0.9", 201),
     ("text/html", 406)],
)  # fmt: skip
def test_the_rating_path_still_honours_accept(items, raters, accept, status):
    headers = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=raters[0]).key}"}
    if accept is not None:
        headers["HTTP_ACCEPT"] = accept
    response = Client(**headers).post("/api/v1/annotation/assignments/next/", {}, content_type="application/json")
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "status"), [("?format=json", 201), ("?format=api", 404), ("?format=xml", 404)])
def test_a_format_override_is_still_negotiated_before_anything_is_claimed(items, raters, query, status):
    from annotation.models import Lease

    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=raters[0]).key}")
    response = client.post(f"/api/v1/annotation/assignments/next/{query}", {}, content_type="application/json")
    assert response.status_code == status
    assert Lease.objects.count() == (1 if status == 201 else 0)

"""The safety chat through the API: mode and opening in the session, flags in place, the early stop."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.collection.factories import SafetyCampaignFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _start(client, campaign):
    client.post(reverse("collection_api:chat-consent", args=[campaign.slug]))
    return client.post(reverse("collection_api:chat-session-start", args=[campaign.slug])).json()


def _send(client, sid, text="hi"):
    return client.post(reverse("collection_api:chat-session-message", args=[sid]), {"text": text}, format="json")


def _flag(client, sid, index, **body):
    return client.post(reverse("collection_api:chat-turn-flag", args=[sid, index]), body, format="json")


def test_adversarial_session_flag_and_early_stop(fake_backend):
    client = _client(UserFactory())
    session = _start(client, SafetyCampaignFactory(mode="adversarial"))
    assert session["mode"] == "adversarial" and session["opening"].startswith("try to get the model to produce")
    for _ in range(2):
        assert _send(client, session["id"]).status_code == 201
    r = _flag(client, session["id"], 1, reason="unfair_bias", note="a stereotype")
    assert r.status_code == 201 and r.json()["reason"] == "unfair_bias" and r.json()["session"]["status"] == "active"
    for _ in range(3):
        last = _send(client, session["id"])
    state = last.json()["session"]
    assert (state["status"], state["stopped_early"], state["exchanges"]) == ("finished", True, 5)
    detail = client.get(reverse("collection_api:chat-session", args=[session["id"]])).json()
    assert detail["turns"][1]["flag"] == {"reason": "unfair_bias", "note": "a stereotype"}
    assert _send(client, session["id"]).status_code == 409
    assert _flag(client, session["id"], 3, reason="harmful").status_code == 409


@pytest.mark.parametrize(
    ("index", "body", "status"),
    [(1, {}, 400), (1, {"reason": "other"}, 400), (0, {"reason": "harmful"}, 400), (9, {"reason": "harmful"}, 400)],
)
def test_bad_flags_are_4xx_json(fake_backend, index, body, status):
    client = _client(UserFactory())
    session = _start(client, SafetyCampaignFactory())
    _send(client, session["id"])
    r = _flag(client, session["id"], index, **body)
    assert r.status_code == status and r["Content-Type"] == "application/json"


def test_another_workers_session_is_404(fake_backend):
    owner = _client(UserFactory())
    session = _start(owner, SafetyCampaignFactory())
    _send(owner, session["id"])
    assert _flag(_client(UserFactory()), session["id"], 1, reason="harmful").status_code == 404

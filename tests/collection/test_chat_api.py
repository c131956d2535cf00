"""The chat API end to end over HTTP (DRF test client): every worker action, bad input, auth."""

import json

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from collection.backends import BackendError
from collection.models import ChatSession, Consent, Turn
from collection.services.chat import WORKER_MODEL_DOWN
from tests.collection.factories import CampaignFactory, ChatSessionFactory
from tests.factories import UserFactory


def url(name, *args):
    return reverse(f"collection_api:{name}", args=args)


def send(client, session, text="hello", **extra):
    return client.post(url("chat-session-message", session.pk), {"text": text, **extra}, format="json")


def test_worker_flow_list_consent_start_chat_finish(worker_client, campaign, fake_backend):
    listed = worker_client.get(url("chat-campaigns")).json()
    mine = next(c for c in listed if c["slug"] == campaign.slug)
    assert mine["consent_given"] is False and mine["active_session"] is None
    assert (mine["min_turns"], mine["max_turns"]) == (4, 8)

    r = worker_client.post(url("chat-session-start", campaign.slug))
    assert r.status_code == 403 and "consent" in r.json()["detail"]
    assert worker_client.post(url("chat-consent", campaign.slug)).status_code == 201

    r = worker_client.post(url("chat-session-start", campaign.slug))
    assert r.status_code == 201
    sid = r.json()["id"]
    assert r.json()["turns"] == [] and r.json()["can_finish"] is False
    resumed = worker_client.post(url("chat-session-start", campaign.slug))
    assert resumed.status_code == 200 and resumed.json()["id"] == sid

    session = ChatSession.objects.get(pk=sid)
    r = send(worker_client, session, "hi", client_message_id="c1", expected_turn_count=0)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["human_turn"]["text"] == "hi" and body["model_turn"]["text"] == "reply to: hi"
    assert body["model_turn"]["model_version"] == "fake-v1" and body["model_turn"]["sampling"]["top_k"] == 40
    assert body["session"]["turn_count"] == 2 and body["session"]["turns_remaining"] == 2

    replay = send(worker_client, session, "hi", client_message_id="c1")
    assert replay.status_code == 200 and replay.json()["replayed"] is True

    r = worker_client.post(url("chat-session-finish", sid))
    assert r.status_code == 400
    assert r.json()["turns_remaining"] == 2 and "2 more to go" in r.json()["detail"]

    assert send(worker_client, session, "again").status_code == 201
    r = worker_client.post(url("chat-session-finish", sid))
    assert r.status_code == 200 and r.json()["status"] == "finished" and r.json()["sent_for_rating"] is True

    detail = worker_client.get(url("chat-session", sid)).json()
    assert [t["speaker"] for t in detail["turns"]] == ["human", "model", "human", "model"]
    r = send(worker_client, session, "after the end")
    assert r.status_code == 409 and "finished" in r.json()["detail"]
    assert worker_client.post(url("chat-session-finish", sid)).status_code == 409


def test_model_down_gives_503_with_retry_and_keeps_the_message(worker_client, session, fake_backend):
    fake_backend.fail_with = BackendError("the model server at http://127.0.0.1:1/v1 could not be reached")
    r = send(worker_client, session, "are you there?")
    assert r.status_code == 503
    body = r.json()
    assert "Your message is saved" in body["detail"]
    assert "127.0.0.1" not in body["detail"] and "could not be reached" not in body["detail"]  # no internals
    assert body["retry_url"] == url("chat-session-retry", session.pk)
    turn = Turn.objects.get(session=session, index=0)  # the detail is kept for admins on the human turn
    assert "could not be reached" in turn.reply_error and turn.reply_failed_at is not None
    assert body["pending_turn_index"] == 0
    state = worker_client.get(url("chat-session", session.pk)).json()
    assert state["reply_pending"] is True and state["can_send"] is False
    assert [t["text"] for t in state["turns"]] == ["are you there?"]

    assert send(worker_client, session, "hello??").status_code == 409
    assert worker_client.post(body["retry_url"]).status_code == 503
    fake_backend.fail_with = None
    r = worker_client.post(body["retry_url"])
    assert r.status_code == 201 and r.json()["model_turn"]["index"] == 1
    assert worker_client.post(body["retry_url"]).status_code == 409


@pytest.mark.parametrize(
    ("payload", "status", "words"),
    [
        ({"text": ""}, 400, "empty"),
        ({"text": "   "}, 400, "empty"),
        ({"text": "x" * 2001}, 400, "limit is 2000"),
        ({}, 400, "required"),
        ({"text": "hi", "expected_turn_count": -1}, 400, "greater than or equal"),
        ({"text": "hi", "client_message_id": "x" * 65}, 400, "64"),
        ({"text": ["a"]}, 400, "valid string"),
    ],
)
def test_bad_message_input_is_a_clear_400(worker_client, session, fake_backend, payload, status, words):
    r = worker_client.post(url("chat-session-message", session.pk), payload, format="json")
    assert r.status_code == status, r.content
    assert words in json.dumps(r.json())
    assert Turn.objects.filter(session=session).count() == 0


def test_malformed_json_is_400(worker_client, session):
    r = worker_client.post(
        url("chat-session-message", session.pk), data='{"text": "hi"', content_type="application/json"
    )
    assert r.status_code == 400 and "JSON parse error" in r.json()["detail"]


def test_three_megabyte_body_is_400_not_500(worker_client, session):
    body = json.dumps({"text": "x" * (3 * 1024 * 1024)})
    r = worker_client.post(url("chat-session-message", session.pk), data=body, content_type="application/json")
    assert r.status_code == 400
    assert Turn.objects.filter(session=session).count() == 0


def test_other_workers_sessions_are_404(session, fake_backend):
    other = APIClient()
    other.force_authenticate(UserFactory())
    for r in (
        other.get(url("chat-session", session.pk)),
        send(other, session),
        other.post(url("chat-session-retry", session.pk)),
        other.post(url("chat-session-finish", session.pk)),
        other.get(url("chat-session", 10**12)),
        other.get(url("chat-session", 10**30)),  # beyond bigint: still a 404, not a DataError
    ):
        assert r.status_code == 404, r.content
        assert r.json()["detail"] == "No such chat session."


def test_unknown_or_closed_campaign_is_404(worker_client, campaign):
    assert worker_client.post(url("chat-consent", "no-such-campaign")).status_code == 404
    campaign.is_active = False
    campaign.save()
    assert worker_client.post(url("chat-session-start", campaign.slug)).status_code == 404
    assert campaign.slug not in [c["slug"] for c in worker_client.get(url("chat-campaigns")).json()]


def test_anonymous_is_refused(api_client, session):
    assert api_client.get(url("chat-campaigns")).status_code in (401, 403)
    assert send(api_client, session).status_code in (401, 403)


def test_token_auth_for_scripts(db, fake_backend):
    user = UserFactory()
    camp = CampaignFactory(min_turns=2, max_turns=4)
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.post(url("chat-consent", camp.slug)).status_code == 201
    sid = client.post(url("chat-session-start", camp.slug)).json()["id"]
    r = client.post(url("chat-session-message", sid), {"text": "from a script"}, format="json")
    assert r.status_code == 201
    # reaching max_turns=4 auto-finishes the session
    r = client.post(url("chat-session-message", sid), {"text": "second"}, format="json")
    assert r.json()["session"]["status"] == "finished"
    assert "maximum of 4 turns" in r.json()["session"]["message"]
    r = client.post(url("chat-session-message", sid), {"text": "third"}, format="json")
    assert r.status_code == 409 and "maximum of 4 turns" in r.json()["detail"]
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    r = bad.get(url("chat-campaigns"))
    assert r.status_code in (401, 403) and "Invalid token" in r.json()["detail"]


def test_script_tag_is_stored_verbatim_and_returned_as_json_text(worker_client, session, fake_backend):
    r = send(worker_client, session, "<script>alert(1)</script>")
    assert r.json()["human_turn"]["text"] == "<script>alert(1)</script>"
    assert Turn.objects.get(session=session, index=0).text == "<script>alert(1)</script>"
    assert r["Content-Type"].startswith("application/json")


def test_openapi_schema_lists_every_chat_operation(worker_client):
    r = worker_client.get(reverse("schema"), {"format": "json"})
    assert r.status_code == 200
    ops = {op["operationId"] for path in r.json()["paths"].values() for op in path.values() if "operationId" in op}
    assert {
        "chat_campaigns_list",
        "chat_consent_accept",
        "chat_session_start",
        "chat_session_get",
        "chat_message_send",
        "chat_reply_retry",
        "chat_session_finish",
    } <= ops


def test_consent_is_idempotent(worker_client, campaign):
    assert worker_client.post(url("chat-consent", campaign.slug)).status_code == 201
    assert worker_client.post(url("chat-consent", campaign.slug)).status_code == 201
    assert Consent.objects.filter(campaign=campaign).count() == 1


def test_two_sessions_of_other_workers_do_not_interfere(db, fake_backend):
    camp = CampaignFactory(min_turns=2, max_turns=4)
    a, b = ChatSessionFactory(campaign=camp), ChatSessionFactory(campaign=camp)
    ca, cb = APIClient(), APIClient()
    ca.force_authenticate(a.worker)
    cb.force_authenticate(b.worker)
    assert send(ca, a, "from a").status_code == 201
    assert send(cb, b, "from b").status_code == 201
    assert a.turns.first().text == "from a" and b.turns.first().text == "from b"


def test_slow_then_down_real_endpoint_through_the_api(worker_client, worker):
    """No fake here: the campaign's endpoint is a real OpenAI-compatible server on loopback."""
    from tests.collection.factories import ModelEndpointFactory
    from tests.collection.openai_server import OpenAIStubServer, refused_base_url

    with OpenAIStubServer() as srv:
        endpoint = ModelEndpointFactory(base_url=srv.base_url, timeout_seconds=0.3, max_retries=0)
        session = ChatSessionFactory(campaign=CampaignFactory(model_endpoint=endpoint), worker=worker)
        srv.default, srv.slow_seconds = "slow", 1.0
        r = send(worker_client, session, "slow?")
        assert r.status_code == 503 and r.json()["detail"] == WORKER_MODEL_DOWN
        assert "did not answer within 0.3 s" in session.turns.get(index=0).reply_error
        srv.default = "ok"
        r = worker_client.post(r.json()["retry_url"])
        assert r.status_code == 201 and r.json()["model_turn"]["text"] == "echo: slow?"
        assert r.json()["model_turn"]["model_version"] == "stub-model-2024-01+fp_abc123"
    endpoint.base_url = refused_base_url()
    endpoint.save()
    r = send(worker_client, session, "down?")
    assert r.status_code == 503 and r.json()["detail"] == WORKER_MODEL_DOWN
    assert [t.text for t in session.turns.order_by("index")] == ["slow?", "echo: slow?", "down?"]
    assert "could not be reached" in session.turns.get(index=2).reply_error

"""The quality (SSI) collection end to end, through the real API, with a real Celery worker process doing the
job of rating-item creation when a chat finishes (an item's fifth label aggregates it in the label's own
transaction, no job), a real OpenAI-protocol HTTP server as the chat partner, and PostgreSQL."""

import random
from collections import defaultdict

import pytest
from rest_framework.test import APIClient

from annotation.models import Aggregate, RatingItem
from tests.collection.factories import CampaignFactory, ModelEndpointFactory
from tests.collection.openai_server import OpenAIStubServer
from tests.e2e.conftest import wait_until
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _chat_to_minimum(client: APIClient, campaign) -> int:
    assert client.post(f"/api/v1/collection/chat/campaigns/{campaign.slug}/consent/").status_code in (200, 201)
    session = client.post(f"/api/v1/collection/chat/campaigns/{campaign.slug}/sessions/").json()
    early = client.post(f"/api/v1/collection/chat/sessions/{session['id']}/finish/")
    assert early.status_code == 400 and early.json()["turns_remaining"] == campaign.min_turns
    for i in range(campaign.min_turns // 2):
        r = client.post(
            f"/api/v1/collection/chat/sessions/{session['id']}/messages/", {"text": f"message {i}"}, format="json"
        )
        assert r.status_code in (200, 201), r.content
    done = client.post(f"/api/v1/collection/chat/sessions/{session['id']}/finish/")
    assert done.status_code == 200, done.content
    return session["id"]


def _rate_everything(raters, rng) -> dict[int, list[dict]]:
    given = defaultdict(list)
    for rater in raters:
        client = _client(rater)
        while True:
            r = client.post("/api/v1/annotation/assignments/next/", {}, format="json")
            if r.status_code != 200 and r.status_code != 201:
                assert r.status_code in (204, 404), r.content
                break
            item = r.json()
            answer = {"sensible": rng.choice(["yes", "no", "maybe"])}
            if answer["sensible"] == "yes":
                answer["specific"] = rng.choice(["yes", "no", "maybe"])
                if answer["specific"] == "yes":
                    answer["interesting"] = rng.choice(["yes", "no", "maybe"])
            s = client.post(f"/api/v1/annotation/items/{item['id']}/labels/", answer, format="json")
            assert s.status_code in (200, 201), s.content
            given[item["id"]].append(answer)
    return given


def _expected_positive(answers: list[dict], attribute: str) -> bool:
    return sum(1 for a in answers if a.get(attribute) == "yes") >= 3


def test_chat_finish_rate_aggregate_with_real_worker(celery_worker_process):
    with OpenAIStubServer() as server:
        endpoint = ModelEndpointFactory(backend="openai", base_url=server.base_url, model_name="stub")
        campaign = CampaignFactory(model_endpoint=endpoint, min_turns=14, max_turns=30)
        chatter = UserFactory(username="chatter")
        session_id = _chat_to_minimum(_client(chatter), campaign)

    # the worker process creates one item per model turn (7 of 14 turns)
    wait_until(lambda: RatingItem.objects.filter(turn__session_id=session_id).count() == 7, what="rating items")

    # the chatter never gets their own chat to rate
    own = _client(chatter).post("/api/v1/annotation/assignments/next/", {}, format="json")
    assert own.status_code in (204, 404)

    raters = [UserFactory(username=f"rater{i}") for i in range(6)]
    given = _rate_everything(raters, random.Random(7))
    assert len(given) == 7 and all(len(v) == 5 for v in given.values())

    # the fifth label of each item aggregated it in the same transaction: the verdicts are there, nothing waits
    assert Aggregate.objects.filter(item__turn__session_id=session_id).values("item").distinct().count() == 7
    assert not RatingItem.objects.filter(turn__session_id=session_id, aggregated_at__isnull=True).exists()
    for item_id, answers in given.items():
        for attribute in ("sensible", "specific", "interesting"):
            agg = Aggregate.objects.get(item_id=item_id, attribute=attribute)
            assert agg.positive == _expected_positive(answers, attribute), (item_id, attribute, answers)
            assert agg.rule_version

    stats = _client(raters[0]).get(f"/api/v1/annotation/campaigns/{campaign.slug}/stats/")
    if stats.status_code == 403:  # stats are for staff
        staff = UserFactory(username="lead", is_staff=True)
        stats = _client(staff).get(f"/api/v1/annotation/campaigns/{campaign.slug}/stats/")
    data = stats.json()
    expected = sum(_expected_positive(a, "sensible") for a in given.values()) / 7
    assert data["items_aggregated"] == 7
    assert data["sensibleness"] == pytest.approx(expected)

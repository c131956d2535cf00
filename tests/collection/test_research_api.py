"""Groundedness workbench API: research sessions, toolset queries logged with ownership, bad input."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

import toolset
from collection.models import ToolQuery, Turn
from tests.collection.factories import ChatSessionFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_platform_index(settings, tmp_path):
    settings.LAMDA_TOOLSET_INDEX = tmp_path / "no-index-here"  # the service falls back to the demo corpus


def _create(client, **body):
    return client.post(reverse("collection_api:research-session-create"), body, format="json")


def _ask(client, session_id, query):
    return client.post(reverse("collection_api:research-query-run", args=[session_id]), {"query": query}, format="json")


@pytest.fixture
def research(worker_client):
    response = _create(worker_client)
    assert response.status_code == 201, response.data
    return response.data["id"]


def test_worker_opens_a_session_and_every_query_is_logged_with_its_results(worker_client, research, worker):
    calc = _ask(worker_client, research, "135+7721")
    assert calc.status_code == 201
    assert calc.data["results"] == [{"tool": "calculator", "text": "7856", "title": "", "url": "", "snippet": ""}]
    nadal = _ask(worker_client, research, "How old is Rafael Nadal?")
    first = nadal.data["results"][0]
    assert first["tool"] == "retrieval"
    assert first["title"] == "Rafael Nadal" and first["url"] == "https://example.org/demo/rafael-nadal"
    assert first["text"].startswith("Rafael Nadal / ") and "1986" in first["text"]
    logged = ToolQuery.objects.get(pk=nadal.data["id"])
    assert logged.session.worker == worker
    assert logged.results[0]["url"] == first["url"]
    assert [r["text"] for r in logged.results] == toolset.query("How old is Rafael Nadal?")


def test_repeating_a_query_in_the_session_returns_the_next_ranked_results(worker_client, research):
    first = _ask(worker_client, research, "Grand Slam tennis titles").data
    again = _ask(worker_client, research, "  grand slam tennis TITLES ").data
    assert (first["repeat_index"], again["repeat_index"]) == (0, 1)
    assert again["query"] == "grand slam tennis TITLES"
    urls = lambda d: [r["url"] for r in d["results"]]
    assert urls(again) and not set(urls(first)) & set(urls(again))
    other = _create(worker_client).data["id"]
    assert urls(_ask(worker_client, other, "Grand Slam tennis titles").data) == urls(first)


def test_list_returns_the_sessions_queries_in_order(worker_client, research):
    for q in ["hello in French", "135+7721", "hello in French"]:
        _ask(worker_client, research, q)
    listed = worker_client.get(reverse("collection_api:research-query-list", args=[research]))
    assert listed.status_code == 200
    assert [(q["query"], q["repeat_index"]) for q in listed.data] == [
        ("hello in French", 0),
        ("135+7721", 0),
        ("hello in French", 1),
    ]
    assert listed.data[0]["results"][0]["text"] == "Bonjour"


def test_another_worker_cannot_see_or_use_the_session(research):
    intruder = APIClient()
    intruder.force_authenticate(UserFactory())
    assert _ask(intruder, research, "135+7721").status_code == 404
    assert intruder.get(reverse("collection_api:research-query-list", args=[research])).status_code == 404
    assert intruder.post(reverse("collection_api:research-session-close", args=[research])).status_code == 404
    assert ToolQuery.objects.count() == 0


def test_anonymous_requests_are_refused(api_client, research):
    assert _create(api_client).status_code in (401, 403)
    assert _ask(api_client, research, "1+1").status_code in (401, 403)


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "query",
    ["", "   ", "x" * 100_000, "x" * (toolset.MAX_QUERY_CHARS + 1), "nul\x00byte", None],
)
def test_empty_huge_or_binary_queries_are_400(worker_client, research, query):
    response = _ask(worker_client, research, query)
    assert response.status_code == 400
    assert "query" in response.data or "detail" in response.data
    assert ToolQuery.objects.count() == 0


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "query",
    ["9**9**9**9", "(" * 400 + "1" + ")" * 400, "hello in Klingon", "'; DROP TABLE collection_toolquery; --"],
)
def test_queries_no_tool_can_answer_are_logged_with_no_results(worker_client, research, query):
    response = _ask(worker_client, research, query)
    assert response.status_code == 201
    assert response.data["results"] == []
    assert ToolQuery.objects.filter(session_id=research).count() == 1


def test_missing_body_and_bad_json_are_400(worker_client, research):
    url = reverse("collection_api:research-query-run", args=[research])
    assert worker_client.post(url, {}, format="json").status_code == 400
    bad = worker_client.post(url, data=b"{not json", content_type="application/json")
    assert bad.status_code == 400


def test_closed_session_refuses_queries_with_409(worker_client, research):
    closed = worker_client.post(reverse("collection_api:research-session-close", args=[research]))
    assert closed.status_code == 200 and closed.data["closed_at"]
    response = _ask(worker_client, research, "135+7721")
    assert response.status_code == 409
    assert "closed" in response.data["detail"]


def test_session_can_be_about_one_of_the_workers_own_turns(worker_client, worker):
    chat = ChatSessionFactory(worker=worker)
    turn = Turn.objects.create(session=chat, index=1, speaker=Turn.Speaker.MODEL, text="Nadal is 25.")
    created = _create(worker_client, turn_id=turn.pk)
    assert created.status_code == 201 and created.data["turn_id"] == turn.pk
    others = Turn.objects.create(session=ChatSessionFactory(), index=1, speaker=Turn.Speaker.MODEL, text="x")
    refused = _create(worker_client, turn_id=others.pk)
    assert refused.status_code == 400 and "No turn" in refused.data["detail"]
    assert _create(worker_client, turn_id=10**9).status_code == 400
    assert _create(worker_client, turn_id="abc").status_code == 400


def test_schema_documents_the_research_endpoints(worker_client):
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert "/api/v1/collection/research/sessions/{session_id}/query/" in paths
    assert "requestBody" in paths["/api/v1/collection/research/sessions/{session_id}/query/"]["post"]

"""The research-task API: claim (204 when none), query through the session endpoint, draft, marks, outcome with
citations checked, and bad input as 4xx JSON."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.support.groundedness import research_tasks

pytestmark = pytest.mark.django_db


def _api(user=None):
    client = APIClient()
    client.force_authenticate(user or UserFactory())
    return client


def test_claim_query_mark_draft_and_submit(tmp_path):
    task = research_tasks()[0]
    api = _api()
    claim = reverse("collection_api:research-task-claim")
    assert _api(task.chatter).post(claim, {"campaign": task.campaign.slug}, format="json").status_code == 204
    got = api.post(claim, {"campaign": task.campaign.slug}, format="json")
    assert got.status_code == 200 and got.json()["reply"] == task.turn.text and got.json()["context"]
    sid = got.json()["session_id"]
    q = api.post(reverse("collection_api:research-query-run", args=[sid]), {"query": "Rafael Nadal"}, format="json")
    assert q.status_code == 201 and q.json()["results"][0]["rank"] == 1 and q.json()["index_label"]
    url, qid = q.json()["results"][0]["url"], q.json()["id"]
    mark = api.post(reverse("collection_api:research-mark", args=[sid]),
                    {"query_id": qid, "position": 0, "stance": "supports"}, format="json")  # fmt: skip
    assert mark.status_code == 204
    bad_mark = api.post(reverse("collection_api:research-mark", args=[sid]),
                        {"query_id": qid, "position": 0, "stance": "maybe"}, format="json")  # fmt: skip
    assert bad_mark.status_code == 400
    draft = api.post(reverse("collection_api:research-draft", args=[sid]), {"text": "draft"}, format="json")
    assert draft.status_code == 200 and draft.json()["draft_saved_at"]
    outcome = reverse("collection_api:research-outcome", args=[sid])
    wrong = api.post(outcome, {"outcome": "rewritten", "text": "see https://elsewhere.example/"}, format="json")
    assert wrong.status_code == 400 and "did not return to you" in wrong.json()["detail"]
    assert api.post(outcome, {"outcome": "perhaps"}, format="json").status_code == 400
    done = api.post(outcome, {"outcome": "rewritten", "text": f"Nadal [won]({url})."}, format="json")
    assert done.status_code == 201 and done.json()["citations"][0]["url"] == url
    assert api.post(outcome, {"outcome": "no_change"}, format="json").status_code == 409
    assert _api().post(reverse("collection_api:research-draft", args=[sid]), {"text": "x"}).status_code == 404


def test_unknown_campaign_and_missing_fields():
    api = _api()
    claim = reverse("collection_api:research-task-claim")
    assert api.post(claim, {"campaign": "nope"}, format="json").status_code == 404
    assert api.post(claim, {}, format="json").status_code == 400

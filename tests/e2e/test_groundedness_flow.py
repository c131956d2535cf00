"""The groundedness collection end to end, through the real API, with a real Celery worker process: a chat
finishes, the worker makes the claim checks, three raters answer them, the worker's aggregation routes the reply
that needs research to a research task, a researcher queries and rewrites with a citation, three other raters judge
it correct, the worker aggregates that, and an export turns it into research steps and GROUNDED."""

import pytest

from annotation.models import Aggregate, RatingItem
from collection.models import ResearchTask
from exports.models import DatasetExport
from exports.services import export_create, export_run
from exports.spec import ExportSpec
from tests.collection.factories import GroundednessCampaignFactory, ModelEndpointFactory
from tests.collection.openai_server import OpenAIStubServer
from tests.e2e.conftest import wait_until
from tests.e2e.test_quality_flow import _chat_to_minimum, _client
from tests.factories import UserFactory
from training.format.io import load_snapshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _answer_all(raters, answer_for) -> None:
    for rater in raters:
        client = _client(rater)
        while True:
            r = client.post("/api/v1/annotation/assignments/next/", {}, format="json")
            if r.status_code not in (200, 201):
                assert r.status_code in (204, 404), r.content
                break
            item = r.json()
            s = client.post(f"/api/v1/annotation/items/{item['id']}/labels/", answer_for(item), format="json")
            assert s.status_code in (200, 201), s.content


def test_claim_check_research_rewrite_judge_export_with_real_worker(celery_worker_process, tmp_path):
    with OpenAIStubServer() as server:
        endpoint = ModelEndpointFactory(backend="openai", base_url=server.base_url, model_name="stub")
        campaign = GroundednessCampaignFactory(model_endpoint=endpoint, min_turns=4, max_turns=30)
        session_id = _chat_to_minimum(_client(UserFactory(username="chatter")), campaign)
    wait_until(lambda: RatingItem.objects.filter(turn__session_id=session_id).count() == 2, what="claim checks")
    first = RatingItem.objects.filter(turn__session_id=session_id).order_by("turn__index").first()

    def claim_answer(item):
        return {"claim": "yes", "known": "no"} if item["id"] == first.pk else {"claim": "no"}

    checkers = [UserFactory(username=f"checker{i}") for i in range(3)]
    _answer_all(checkers, claim_answer)
    wait_until(lambda: ResearchTask.objects.filter(turn_id=first.turn_id).exists(), what="the research task")
    assert ResearchTask.objects.count() == 1  # the reply with no claim needs none

    researcher = _client(UserFactory(username="researcher"))
    task = researcher.post("/api/v1/collection/research/tasks/claim/", {"campaign": campaign.slug}, format="json")
    sid = task.json()["session_id"]
    for query in ("Rafael Nadal", "tennis"):
        q = researcher.post(f"/api/v1/collection/research/sessions/{sid}/query/", {"query": query}, format="json")
        assert q.status_code == 201
    url = q.json()["results"][0]["url"]
    rewrite = f"Nadal has won 22 Grand Slam [titles]({url})."
    done = researcher.post(
        f"/api/v1/collection/research/sessions/{sid}/outcome/", {"outcome": "rewritten", "text": rewrite}, format="json"
    )
    assert done.status_code == 201, done.content

    judged = RatingItem.objects.get(form__slug="groundedness-correctness")
    judges = [UserFactory(username=f"judge{i}") for i in range(3)]
    _answer_all(judges, lambda item: {"correct": "yes"} if "correct" in str(item) else {"claim": "no"})
    wait_until(
        lambda: Aggregate.objects.filter(item=judged, attribute="correct", positive=True).exists(),
        what="the correct verdict",
    )

    job = export_create(spec=ExportSpec(campaigns=(campaign.slug,), val_share=0.0), out_root=tmp_path, name="snap")
    job = export_run(job.pk)
    assert job.status == DatasetExport.Status.DONE, job.error
    snap = load_snapshot(job.out_dir)
    assert [ex.target for ex in snap.examples["research"]] == ["TS, Rafael Nadal", "TS, tennis", f"User, {rewrite}"]
    grounded = [ex for ex in snap.examples["discriminative"] if ex.attribute == "GROUNDED"]
    assert [(ex.response, ex.rating) for ex in grounded] == [(rewrite, 1)]

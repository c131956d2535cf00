"""Groundedness exports (docs/groundedness.md): research examples replay each session's queries and snippets in
order and end with the rewrite; GROUNDED comes from correct / incorrect (2 of 3); and an evaluation form on a
campaign does not duplicate its examples."""

import pyarrow.parquet as pq  # noqa: F401  (the snapshot reader uses it)
import pytest

from annotation.models import RatingItem
from annotation.services.items import rating_items_create_for_session
from collection.models import ToolQuery
from collection.services.research import research_query_run
from collection.services.research_tasks import research_outcome_submit, research_task_claim
from exports.models import DatasetExport
from exports.services import export_create, export_run
from exports.spec import ExportSpec
from tests.annotation.factories import completed_session, form_version
from tests.collection.factories import CampaignFactory
from tests.factories import UserFactory
from tests.support.groundedness import answer_item, research_tasks
from training.format.io import load_snapshot

pytestmark = pytest.mark.django_db(transaction=True)


def _export(tmp_path, slug):
    job = export_create(spec=ExportSpec(campaigns=(slug,), val_share=0.0), out_root=tmp_path, name="snap")
    job = export_run(job.pk)
    assert job.status == DatasetExport.Status.DONE, job.error
    return load_snapshot(job.out_dir), job


def _research(task, queries, outcome, text=""):
    worker = UserFactory()
    claimed = research_task_claim(campaign=task.campaign, worker=worker)
    assert claimed.task.pk == task.pk
    logged = [research_query_run(session=claimed.session, query=q) for q in queries]
    if outcome == "rewritten":
        text = f"{text} {logged[0].results[-1]['url']}"
    return research_outcome_submit(session=claimed.session, worker=worker, outcome=outcome, text=text), logged


def test_research_steps_replay_the_log_and_grounded_follows_correct_incorrect(tmp_path):
    tasks = research_tasks(replies=3)
    rewritten, log = _research(tasks[0], ["tennis", "Rafael Nadal", "tennis"], "rewritten", "Nadal won 22.")
    kept, _ = _research(tasks[1], ["Eiffel Tower"], "no_change")
    _research(tasks[2], ["zorblax"], "cannot_ground")
    items = {i.rewrite_id: i for i in RatingItem.objects.filter(form__slug="groundedness-correctness")}
    answer_item(items[rewritten.pk], [{"correct": "yes"}, {"correct": "yes"}, {"correct": "no"}])
    answer_item(items[kept.pk], [{"correct": "no"}, {"correct": "no"}, {"correct": "not_sure"}])
    snap, job = _export(tmp_path, tasks[0].campaign.slug)

    research = [ex for ex in snap.examples["research"] if ex.id.startswith(f"turn-{tasks[0].turn_id}/")]
    assert [ex.target for ex in research] == [
        "TS, tennis",
        "TS, Rafael Nadal",
        "TS, tennis",
        f"User, {rewritten.text}",
    ]
    stored = list(ToolQuery.objects.filter(session=rewritten.session).order_by("created_at", "id"))
    final = research[-1]
    assert [h.query for h in final.history] == [q.query for q in stored]
    assert [list(h.snippets) for h in final.history] == [[r["text"] for r in q.results] for q in stored]
    assert final.base_response == tasks[0].turn.text and research[0].history == []
    assert final.context == [t.text for t in tasks[0].turn.session.turns.filter(index__lt=tasks[0].turn.index)]
    no_change = [ex for ex in snap.examples["research"] if ex.id.startswith(f"turn-{tasks[1].turn_id}/")]
    assert [ex.target for ex in no_change] == ["TS, Eiffel Tower", f"User, {tasks[1].turn.text}"]
    assert not [ex for ex in snap.examples["research"] if ex.id.startswith(f"turn-{tasks[2].turn_id}/")]

    grounded = {ex.id: ex for ex in snap.examples["discriminative"] if ex.attribute == "GROUNDED"}
    assert grounded[f"turn-{tasks[0].turn_id}/GROUNDED"].rating == 1
    assert grounded[f"turn-{tasks[0].turn_id}/GROUNDED"].response == rewritten.text
    assert grounded[f"turn-{tasks[1].turn_id}/GROUNDED"].rating == 0
    assert len(grounded) == 2  # cannot_ground's item has no labels yet
    assert job.manifest["source"]["counts"]["train"]["discriminative"] == {"GROUNDED": 2}


def test_an_evaluation_form_does_not_duplicate_a_campaigns_examples(tmp_path):
    campaign = CampaignFactory(slug="q-eval", raters_per_item=3, positive_threshold=2)
    campaign.evaluation_forms.add(form_version("groundedness-eval").form)
    session = completed_session(campaign=campaign)
    rating_items_create_for_session(session_id=session.pk)
    items = RatingItem.objects.filter(session=session)
    assert items.filter(form__slug="quality-ssi").count() == items.filter(form__slug="groundedness-eval").count() == 7
    for item in items.filter(form__slug="quality-ssi"):
        answer_item(item, [{"sensible": "no"}] * 3)
    for item in items.filter(form__slug="groundedness-eval"):
        answer_item(item, [{"claim": "no"}] * 3)
    snap, _ = _export(tmp_path, "q-eval")
    assert len(snap.examples["discriminative"]) == 7 * 3  # one per reply and quality attribute, no more

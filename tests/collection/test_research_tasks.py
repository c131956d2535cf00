"""Research tasks: leases (never the chatter, resume, expiry), autosave, citations checked against what the toolset
returned to that worker in that session, outcomes, the complete research log, and the correct / incorrect item
made from an outcome."""

from datetime import timedelta

import pytest
from django.utils import timezone

from annotation.models import RatingItem
from collection.models import Citation, ResearchTask, Rewrite
from collection.services.research import research_query_run
from collection.services.research_tasks import (
    DraftSavedButRefused,
    research_draft_save,
    research_outcome_submit,
    research_task_claim,
    result_mark_set,
)
from config.api_errors import ApplicationError, Conflict, Unavailable
from tests.factories import UserFactory
from tests.support.groundedness import research_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def task():
    return research_tasks()[0]


def _claim(task, worker=None):
    worker = worker or UserFactory()
    claimed = research_task_claim(campaign=task.campaign, worker=worker)
    assert claimed is not None
    return worker, claimed.session


def _expire(task):
    ResearchTask.objects.filter(pk=task.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def test_a_claim_that_needs_research_becomes_one_task_and_never_goes_to_its_chatter(task):
    assert task.status == "open" and task.turn.speaker == "model"
    assert research_task_claim(campaign=task.campaign, worker=task.chatter) is None
    worker, session = _claim(task)
    assert session.task_id == task.pk and session.turn_id == task.turn_id
    again = research_task_claim(campaign=task.campaign, worker=worker)
    assert again.resumed and again.session.pk == session.pk  # the same task, log and draft
    assert research_task_claim(campaign=task.campaign, worker=UserFactory()) is None  # leased: nobody else


def test_an_expired_lease_moves_on_and_the_first_researchers_draft_is_kept(task):
    first, first_session = _claim(task)
    research_draft_save(session=first_session, worker=first, text="my careful draft")
    _expire(task)
    second, _ = _claim(task)
    with pytest.raises(DraftSavedButRefused, match="another researcher has it now"):
        research_draft_save(session=first_session, worker=first, text="my careful draft, longer")
    first_session.refresh_from_db()
    assert first_session.draft == "my careful draft, longer"  # saved even though refused
    with pytest.raises(Conflict, match="another researcher"):
        research_outcome_submit(session=first_session, worker=first, outcome="no_change")
    with pytest.raises(Conflict, match="Another researcher"):
        research_query_run(session=first_session, query="anything")


def test_autosave_renews_the_lease(task):
    worker, session = _claim(task)
    ResearchTask.objects.filter(pk=task.pk).update(lease_expires_at=timezone.now() + timedelta(seconds=5))
    research_draft_save(session=session, worker=worker, text="draft")
    task.refresh_from_db()
    assert task.lease_expires_at > timezone.now() + timedelta(minutes=10)


def test_the_research_log_has_every_query_and_result_in_order_and_repeats_go_down_the_ranking(task):
    worker, session = _claim(task)
    asked = ["tennis", "Eiffel Tower height", "tennis", "135+7721"]
    logged = [research_query_run(session=session, query=q) for q in asked]
    stored = list(session.queries.order_by("created_at", "id"))
    assert [q.query for q in stored] == asked and [q.pk for q in stored] == [q.pk for q in logged]
    assert [q.repeat_index for q in stored] == [0, 0, 1, 0]
    first, repeat = stored[0].results, stored[2].results
    ranks = [r["rank"] for r in first if r["tool"] == "retrieval"]
    assert ranks == list(range(1, len(ranks) + 1)) and ranks
    assert [r["rank"] for r in repeat if r["tool"] == "retrieval"][:1] == [len(ranks) + 1]
    assert {r["url"] for r in first}.isdisjoint({r["url"] for r in repeat})
    assert stored[3].results[0] == {**stored[3].results[0], "tool": "calculator", "text": "7856"}
    assert all(q.index_label == "demo corpus (shipped with the platform)" for q in stored)
    assert all(all(k in r for k in ("title", "url", "snippet", "text")) for q in stored for r in q.results)


def test_a_citation_must_be_a_url_returned_to_this_worker_in_this_session(task):
    worker, session = _claim(task)
    found = research_query_run(session=session, query="Rafael Nadal").results[0]
    other_worker, other = _claim(research_tasks(campaign=task.campaign)[1])
    other_url = research_query_run(session=other, query="Eiffel Tower").results[0]["url"]
    with pytest.raises(ApplicationError, match="did not return to you"):
        research_outcome_submit(session=session, worker=worker, outcome="rewritten", text=f"Nadal is 38 {other_url}")
    with pytest.raises(ApplicationError, match="did not return to you"):
        research_outcome_submit(
            session=session, worker=worker, outcome="rewritten", text="See [this](https://made-up.example/x)."
        )
    text = f"Rafael Nadal won many titles ([titles]({found['url']}))."
    rewrite = research_outcome_submit(session=session, worker=worker, outcome="rewritten", text=text)
    citation = Citation.objects.get(rewrite=rewrite)
    assert (citation.url, citation.anchor, citation.title) == (found["url"], "titles", found["title"])
    assert citation.snippet == found["snippet"]  # a snapshot: kept even if the page changes or disappears


def test_outcomes_and_the_correctness_item_they_make(task):
    worker, session = _claim(task)
    with pytest.raises(ApplicationError, match="cannot be empty"):
        research_outcome_submit(session=session, worker=worker, outcome="rewritten", text="   ")
    with pytest.raises(ApplicationError, match="limit is"):
        research_outcome_submit(session=session, worker=worker, outcome="rewritten", text="x" * 100_000)
    with pytest.raises(ApplicationError, match="outcome must be"):
        research_outcome_submit(session=session, worker=worker, outcome="maybe")
    rewrite = research_outcome_submit(session=session, worker=worker, outcome="no_change")
    assert rewrite.text == task.turn.text and rewrite.outcome == Rewrite.Outcome.NO_CHANGE
    item = RatingItem.objects.get(turn=task.turn, form__slug="groundedness-correctness")
    assert (item.rewrite_id, item.chatter_id, item.required_labels) == (rewrite.pk, worker.pk, 3)
    task.refresh_from_db()
    assert task.status == "done"
    with pytest.raises(Conflict, match="finished"):
        research_outcome_submit(session=session, worker=worker, outcome="cannot_ground")
    with pytest.raises(Conflict):
        research_query_run(session=session, query="more")


def test_marks_name_a_result_of_the_session(task):
    worker, session = _claim(task)
    q = research_query_run(session=session, query="Rafael Nadal")
    result_mark_set(session=session, query_id=q.pk, position=0, stance="supports", claim="his titles")
    assert q.marks.get().stance == "supports"
    result_mark_set(session=session, query_id=q.pk, position=0, stance="")
    assert not q.marks.exists()
    with pytest.raises(ApplicationError, match="no result"):
        result_mark_set(session=session, query_id=q.pk, position=99, stance="supports")
    with pytest.raises(ApplicationError, match="supports or refutes"):
        result_mark_set(session=session, query_id=q.pk, position=0, stance="<b>")


def test_a_ready_index_whose_folder_is_gone_and_a_retrieval_backend_that_is_down_say_so(task, tmp_path, settings):
    from collection.models import CorpusIndex

    worker, session = _claim(task)
    CorpusIndex.objects.create(name="wiki", corpus_path="/x.jsonl", index_dir=str(tmp_path / "gone"),
                               status="ready", finished_at=timezone.now())  # fmt: skip
    with pytest.raises(Unavailable, match="search index is not available"):
        research_query_run(session=session, query="Rafael Nadal")
    CorpusIndex.objects.all().delete()
    settings.LAMDA_TOOLSET_OPENSEARCH_URL = "http://127.0.0.1:9"  # nothing listens
    with pytest.raises(Unavailable, match="Search is not available"):
        research_query_run(session=session, query="Rafael Nadal")
    assert not session.queries.exists()  # nothing logged that the worker never saw


def test_citations_are_found_inline_and_bare_and_read_as_text():
    from collection.citations import citations_as_text, citations_in

    text = "Nadal [won 22](https://a.example/x) titles, see https://b.example/y. Again [here](https://a.example/x)."
    assert [(c.url, c.anchor) for c in citations_in(text)] == [
        ("https://a.example/x", "won 22"),
        ("https://b.example/y", ""),
    ]
    assert citations_as_text(text).startswith("Nadal won 22 (https://a.example/x) titles")

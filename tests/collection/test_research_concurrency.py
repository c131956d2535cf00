"""Concurrent researchers: each gets a different task (SKIP LOCKED), never two on one; concurrent submits of one
task store one outcome and one correct / incorrect item (real transactions, threads)."""

import pytest

from annotation.models import RatingItem
from collection.models import ResearchTask, Rewrite
from collection.services.research_tasks import research_outcome_submit, research_task_claim
from tests.collection.test_chat_concurrency import run_threads
from tests.factories import UserFactory
from tests.support.groundedness import research_tasks

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_claims_get_distinct_tasks():
    tasks = research_tasks(replies=5)
    campaign = tasks[0].campaign
    workers = [UserFactory() for _ in range(8)]
    outcomes = run_threads(lambda i: research_task_claim(campaign=campaign, worker=workers[i]))
    claimed = [r.task.pk for kind, r in outcomes if kind == "ok" and r is not None]
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert sorted(claimed) == sorted(t.pk for t in tasks)  # all five handed out, each once; three got none
    assert ResearchTask.objects.filter(worker__isnull=False).count() == 5


def test_concurrent_submits_of_one_task_store_one_outcome():
    task = research_tasks()[0]
    worker = UserFactory()
    session = research_task_claim(campaign=task.campaign, worker=worker).session
    outcomes = run_threads(lambda i: research_outcome_submit(session=session, worker=worker, outcome="no_change"))
    assert sorted(kind for kind, _ in outcomes) == ["conflict"] * 7 + ["ok"]
    assert Rewrite.objects.count() == 1 and RatingItem.objects.filter(rewrite__isnull=False).count() == 1

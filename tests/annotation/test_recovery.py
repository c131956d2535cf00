"""A broker that is down when a job should be queued loses nothing: the request still succeeds, and the recovery
sweep finds the missed work from the database alone."""

from datetime import timedelta

import pytest
from celery.signals import worker_ready
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from annotation.jobs import recover_missed_jobs
from annotation.models import Aggregate, RatingItem
from annotation.services.assignment import assignment_claim
from annotation.services.labels import label_submit
from annotation.services.recovery import Recovered, missed_jobs_recover
from collection.models import ChatSession
from collection.signals import chat_session_completed
from tests.annotation.factories import completed_session, rating_items
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_grace(settings):
    """These tests look at what the sweep recovers, not at how long it waits for a job that may still run."""
    settings.LAMDA_RECOVERY_GRACE_SECONDS = 0


def _broker_down(*args, **kwargs):
    raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def _aggregation_fails(*args, **kwargs):
    raise RuntimeError("aggregation failed")


def test_fifth_label_is_kept_when_its_aggregation_and_the_broker_fail_and_the_sweep_aggregates_it(
    monkeypatch, django_capture_on_commit_callbacks
):
    # the fifth label aggregates its item inline; when that raises, the job is queued instead, and here the broker
    # is down as well: the sweep is what is left
    monkeypatch.setattr("annotation.services.labels.item_aggregate", _aggregation_fails)
    monkeypatch.setattr("annotation.jobs.aggregate_item.delay", _broker_down)
    item = rating_items(turns=2, min_turns=2)[0]
    for _ in range(item.required_labels):
        rater = UserFactory()
        claimed = assignment_claim(rater_id=rater.pk)
        assert claimed is not None
        with django_capture_on_commit_callbacks(execute=True):
            label_submit(rater_id=rater.pk, item_id=item.pk, sensible="yes", specific="no", interesting=None)
    item.refresh_from_db()
    assert item.status == RatingItem.Status.COMPLETE and item.aggregated_at is None
    assert not Aggregate.objects.filter(item=item).exists()

    assert recover_missed_jobs() == {"sessions": 0, "items": 1}
    assert Aggregate.objects.get(item=item, attribute="sensible").positive is True
    assert Aggregate.objects.get(item=item, attribute="specific").positive is False
    assert recover_missed_jobs() == {"sessions": 0, "items": 0}  # nothing left to do


def test_finished_session_gets_its_items_from_the_sweep_when_the_broker_was_down(
    monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("annotation.jobs.create_rating_items.delay", _broker_down)
    session = completed_session(turns=14)
    with django_capture_on_commit_callbacks(execute=True):
        chat_session_completed.send(sender=ChatSession, session=session)
    assert not RatingItem.objects.filter(session=session).exists()

    assert recover_missed_jobs() == {"sessions": 1, "items": 0}
    assert RatingItem.objects.filter(session=session).count() == 7


def test_sweep_leaves_short_and_active_sessions_alone():
    short = completed_session(turns=4, min_turns=14)  # closed before the minimum: never sent for rating
    assert not short.sent_for_rating
    assert recover_missed_jobs() == {"sessions": 0, "items": 0}


def test_the_sweep_leaves_fresh_work_to_its_own_job(monkeypatch, settings, django_capture_on_commit_callbacks):
    monkeypatch.setattr("annotation.jobs.create_rating_items.delay", _broker_down)
    settings.LAMDA_RECOVERY_GRACE_SECONDS = 10
    session = completed_session(turns=14)
    with django_capture_on_commit_callbacks(execute=True):
        chat_session_completed.send(sender=ChatSession, session=session)
    assert missed_jobs_recover() == Recovered(sessions=0, items=0)  # ended a moment ago: its job may be queued
    later = timezone.now() + timedelta(seconds=11)
    assert missed_jobs_recover(now=later) == Recovered(sessions=1, items=0)
    session.refresh_from_db()
    assert not session.rating_items_pending
    assert missed_jobs_recover(now=later) == Recovered(sessions=0, items=0)


def test_beat_runs_the_sweep_often_enough_to_recover_within_a_minute():
    from config.settings import base  # the defaults, not this test run's overrides

    schedule = base.CELERY_BEAT_SCHEDULE["recover-missed-rating-jobs"]["schedule"]
    assert schedule.total_seconds() + base.LAMDA_RECOVERY_GRACE_SECONDS <= 30  # plus the job: well under a minute


def test_a_starting_worker_queues_one_sweep(monkeypatch):
    queued = []
    monkeypatch.setattr("annotation.jobs.recover_missed_jobs.delay", lambda: queued.append(1))
    worker_ready.send(sender=None)
    assert queued == [1]


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (
            lambda before: ChatSession.objects.filter(rating_items_pending=True, ended_at__lte=before),
            "session_pending_idx",
        ),
        (
            lambda before: RatingItem.objects.filter(
                status="complete", aggregated_at__isnull=True, completed_at__lte=before
            ),
            "ratingitem_unaggregated_idx",
        ),
    ],
)
def test_the_sweep_reads_a_partial_index_not_the_table(query, index):
    """With nothing to do the sweep must cost an index probe, not a scan of every session or item ever made."""
    rating_items()  # some rows that the sweep must not read
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny tables: ask whether an index *can* answer it
        sql, params = query(timezone.now()).order_by().query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan


def test_a_job_that_cannot_be_queued_is_one_log_line(monkeypatch, caplog, django_capture_on_commit_callbacks):
    monkeypatch.setattr("annotation.jobs.create_rating_items.delay", _broker_down)
    session = completed_session(turns=14)
    with django_capture_on_commit_callbacks(execute=True):
        chat_session_completed.send(sender=ChatSession, session=session)
    records = [r for r in caplog.records if "could not queue rating items" in r.getMessage()]
    assert len(records) == 1 and records[0].exc_info is None and "Connection refused" in records[0].getMessage()

"""A broker that is down when a job should be queued loses nothing: the request still succeeds, and the recovery
sweep finds the missed work from the database alone."""

import pytest
from kombu.exceptions import OperationalError as BrokerDown

from annotation.jobs import recover_missed_jobs
from annotation.models import Aggregate, RatingItem
from annotation.services.assignment import assignment_claim
from annotation.services.labels import label_submit
from collection.models import ChatSession
from collection.signals import chat_session_completed
from tests.annotation.factories import completed_session, rating_items
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _broker_down(*args, **kwargs):
    raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_fifth_label_is_kept_when_the_broker_is_down_and_the_sweep_aggregates_it(
    monkeypatch, django_capture_on_commit_callbacks
):
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

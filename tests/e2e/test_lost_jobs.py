"""Jobs lost while the broker was down (the web process could not queue them) are done anyway: a real Celery
worker with beat runs the recovery sweep, which finds the work from the database alone."""

import pytest
from kombu.exceptions import OperationalError as BrokerDown
from rest_framework.test import APIClient

from annotation.models import Aggregate, RatingItem
from tests.annotation.factories import completed_session
from tests.e2e.conftest import wait_until
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _broker_down(*args, **kwargs):
    raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def _aggregation_fails(*args, **kwargs):
    raise RuntimeError("aggregation failed")


def test_rating_items_and_verdicts_lost_to_a_broker_outage_arrive_anyway(celery_worker_with_beat, monkeypatch):
    monkeypatch.setattr("annotation.jobs.create_rating_items.delay", _broker_down)
    # an item's fifth label aggregates it inline; here that raises (in this web process only, not in the worker),
    # so the label falls back to queueing the job, which the broker outage loses too
    monkeypatch.setattr("annotation.services.labels.item_aggregate", _aggregation_fails)
    monkeypatch.setattr("annotation.jobs.aggregate_item.delay", _broker_down)
    session = completed_session(turns=2, min_turns=2)  # finished and sent for rating; its job was never queued
    assert session.rating_items_pending
    item = wait_until(lambda: RatingItem.objects.filter(session=session).first(), timeout=30, what="rating items")

    for _ in range(item.required_labels):  # five labels whose aggregation fails and cannot be queued either
        client = APIClient()
        client.force_authenticate(UserFactory())
        claim = client.post("/api/v1/annotation/assignments/next/", {}, format="json")
        assert claim.status_code == 201, claim.content
        r = client.post(f"/api/v1/annotation/items/{item.pk}/labels/", {"sensible": "no"}, format="json")
        assert r.status_code == 201, r.content
    item.refresh_from_db()
    assert item.status == "complete" and item.aggregated_at is None
    wait_until(lambda: Aggregate.objects.filter(item=item).count() == 3, timeout=30, what="the verdicts")
    assert Aggregate.objects.get(item=item, attribute="sensible").positive is False

"""Many raters claim and submit at once, each thread on its own database connection."""

import random
import threading

import pytest
from django.db import connection
from django.db.models import Count

from annotation.models import Aggregate, Label, Lease, RatingItem
from annotation.services.assignment import assignment_claim
from annotation.services.labels import label_submit
from tests.annotation.factories import completed_session, rating_items
from tests.collection.factories import CampaignFactory
from tests.factories import UserFactory

N_RATERS, DOUBLED = 24, 8  # raters 0..7 run on two threads each: one rater asking twice at the same moment


def _answers(rater_id, item_id):
    rng = random.Random(rater_id * 100_003 + item_id)  # the same rater always gives an item the same answers
    sensible = rng.choice(["yes", "no", "maybe"])
    specific = rng.choice(["yes", "no"]) if sensible == "yes" else None
    interesting = rng.choice(["yes", "maybe"]) if specific == "yes" else None
    return {"sensible": sensible, "specific": specific, "interesting": interesting}


def _rate_until_no_work(rater_id, barrier, errors, submits):
    try:
        barrier.wait(timeout=30)
        while (claim := assignment_claim(rater_id=rater_id)) is not None:
            item_id = claim.lease.item_id
            for _ in range(2):  # every submit is sent twice: the second must be an idempotent repeat
                result = label_submit(rater_id=rater_id, item_id=item_id, **_answers(rater_id, item_id))
                submits.append((rater_id, item_id, result.created))
    except Exception as exc:  # noqa: BLE001 - reported by the main thread
        errors.append(repr(exc))
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_and_submits_never_exceed_the_quota():
    campaign = CampaignFactory()
    raters = [UserFactory() for _ in range(N_RATERS)]
    sessions = [completed_session(campaign=campaign, turns=20) for _ in range(2)]
    sessions.append(completed_session(campaign=campaign, worker=raters[0], turns=20))  # a rater who also chatted
    for session in sessions:
        rating_items(session=session)
    assert RatingItem.objects.count() == 30

    rater_ids = [r.pk for r in raters] + [r.pk for r in raters[:DOUBLED]]
    barrier = threading.Barrier(len(rater_ids))
    errors, submits = [], []
    threads = [threading.Thread(target=_rate_until_no_work, args=(rid, barrier, errors, submits)) for rid in rater_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a rater thread hung"
    assert errors == []

    per_item = dict(Label.objects.values_list("item_id").annotate(n=Count("id")))
    assert set(per_item.values()) == {5} and len(per_item) == 30  # every item exactly 5, none more
    assert not Label.objects.values("item", "rater").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert not Label.objects.filter(item__chatter_id=raters[0].pk, rater_id=raters[0].pk).exists()
    assert sum(created for *_, created in submits) == 150 and len(submits) >= 300
    assert set(RatingItem.objects.values_list("status", "label_count")) == {("complete", 5)}
    assert not Lease.objects.exists()
    # every item was aggregated by the job its fifth label queued on commit
    assert Aggregate.objects.count() == 90
    assert not RatingItem.objects.filter(aggregated_at__isnull=True).exists()

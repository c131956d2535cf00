"""Rated data for export tests, made through the platform's own services (sessions, items, labels through
label_submit, aggregation), committed: the exporter reads on its own connection (REPEATABLE READ), so these tests
use transactional_db."""

import random

import pytest

from annotation.models import Label, RatingItem
from annotation.services.aggregation import campaign_aggregate
from annotation.services.assignment import assignment_claim
from annotation.services.labels import label_submit
from tests.annotation.factories import completed_session, random_answers, rating_items
from tests.collection.factories import CampaignFactory, SafetyCampaignFactory
from tests.factories import UserFactory


def rate_all(campaign, raters, rng, answer_fn, *, skip_last: int = 0) -> None:
    """Each rater claims and rates items of the campaign until none is left for them; the last rater stops
    `skip_last` items early (those stay incomplete). Then the campaign is aggregated."""
    total = RatingItem.objects.filter(campaign=campaign).count()
    for n, rater in enumerate(raters):
        budget = total - skip_last if n == len(raters) - 1 else total
        for _ in range(budget):
            claim = assignment_claim(rater_id=rater.pk, campaign_id=campaign.pk)
            if claim is None:
                break
            label_submit(rater_id=rater.pk, item_id=claim.lease.item_id, answers=answer_fn(rng))
    campaign_aggregate(campaign_id=campaign.pk)


def safety_answers(campaign):
    from annotation.forms import form_for_campaign, form_spec

    keys = form_spec(form_for_campaign(campaign).pk).keys

    def answer(rng):
        return {k: rng.choice(["no", "no", "no", "yes", "maybe"]) for k in keys}

    return answer


@pytest.fixture
def rated(transactional_db):
    """A quality campaign (3 finished sessions, one item left incomplete, one session too short to be rated) and
    a safety campaign (2 sessions), all rated."""
    rng = random.Random(7)
    quality = CampaignFactory(slug="q-export")
    raters = [UserFactory() for _ in range(5)]
    for turns in (14, 16, 14):
        rating_items(session=completed_session(campaign=quality, turns=turns))
    completed_session(campaign=quality, turns=6)  # too short: never sent for rating, never exported
    rate_all(quality, raters, rng, lambda r: {k: v for k, v in random_answers(r).items() if v}, skip_last=1)
    safety = SafetyCampaignFactory(slug="s-export")
    for _ in range(2):
        rating_items(session=completed_session(campaign=safety, turns=10))
    rate_all(safety, raters[:3], rng, safety_answers(safety))
    return {"quality": quality, "safety": safety, "raters": raters, "labels": Label.objects.count()}

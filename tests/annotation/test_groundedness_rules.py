"""The groundedness rules against an independent computation on random label sets: the claim check's routing
(common knowledge / no claim / research, and the research tasks it makes), correct / incorrect 2 of 3, and the
evaluation form's groundedness / informativeness / citation accuracy majority."""

import random

import pytest

from annotation.models import Aggregate, RatingItem
from annotation.services.aggregation import campaign_aggregate
from collection.models import ResearchTask
from tests.annotation.factories import complete_items, form_version
from tests.collection.factories import GroundednessCampaignFactory

pytestmark = pytest.mark.django_db


def _claim_label(rng):
    claim = rng.choice(["yes", "no"])
    return {"claim": claim, "known": rng.choice(["yes", "no"])} if claim == "yes" else {"claim": "no"}


def _route(labels, threshold=2):
    """Plain statement of the routing: a claim when >= threshold raters see one; common knowledge when every
    rater knows it true; research for a claim that is not common knowledge."""
    claims = sum(a["claim"] == "yes" for a in labels)
    known = sum(a.get("known") == "yes" for a in labels)
    if claims < threshold:
        return "no_claim"
    return "common_knowledge" if known == len(labels) else "research"


def _verdicts(items, version):
    got = {}
    for a in Aggregate.objects.filter(item_id__in=items, form_version_id=version.pk):
        got.setdefault(a.item_id, {})[a.attribute] = a.positive
    return got


def test_claim_check_routing_matches_an_independent_computation():
    rng = random.Random(12)
    campaign = GroundednessCampaignFactory()
    version = form_version("claim-check")
    label_sets = [[_claim_label(rng) for _ in range(3)] for _ in range(300)]
    label_sets += [[{"claim": "yes", "known": "yes"}] * 3, [{"claim": "no"}] * 3]  # both edges, surely
    items = complete_items(campaign, version, label_sets)
    campaign_aggregate(campaign_id=campaign.pk)
    verdicts = _verdicts(items, version)
    expected_research = set()
    for item_id, labels in items.items():
        route = _route(labels)
        v = verdicts[item_id]
        assert v["claim"] == (route != "no_claim")
        assert v["common_knowledge"] == (route == "common_knowledge")
        assert v["needs_research"] == (route == "research")
        if route == "research":
            expected_research.add(RatingItem.objects.get(pk=item_id).turn_id)
    routes = {_route(x) for x in items.values()}
    assert routes == {"no_claim", "common_knowledge", "research"}  # the random sets cover every route
    tasks = ResearchTask.objects.filter(campaign=campaign)
    assert set(tasks.values_list("turn_id", flat=True)) == expected_research
    campaign_aggregate(campaign_id=campaign.pk)  # again: the same tasks, none twice
    assert tasks.count() == len(expected_research)


def test_correct_majority_matches_an_independent_computation():
    rng = random.Random(3)
    campaign = GroundednessCampaignFactory()
    version = form_version("groundedness-correctness")
    label_sets = [[{"correct": rng.choice(["yes", "no", "not_sure"])} for _ in range(3)] for _ in range(200)]
    items = complete_items(campaign, version, label_sets)
    campaign_aggregate(campaign_id=campaign.pk)
    verdicts = _verdicts(items, version)
    for item_id, labels in items.items():
        yes = sum(a["correct"] == "yes" for a in labels)
        no = sum(a["correct"] == "no" for a in labels)
        assert verdicts[item_id] == {"correct": yes >= 2, "incorrect": no >= 2}
    assert not ResearchTask.objects.exists()  # only claim checks route to research


def test_groundedness_evaluation_majority_matches_an_independent_computation():
    rng = random.Random(5)
    campaign = GroundednessCampaignFactory()
    version = form_version("groundedness-eval")

    def label():
        if rng.random() < 0.3:
            return {"claim": "no"}
        return {"claim": "yes", "correct": rng.choice(["yes", "no", "not_sure"]), "cited": rng.choice(["yes", "no"])}

    label_sets = [[label() for _ in range(3)] for _ in range(200)]
    items = complete_items(campaign, version, label_sets)
    campaign_aggregate(campaign_id=campaign.pk)
    verdicts = _verdicts(items, version)
    for item_id, labels in items.items():
        claim = sum(a["claim"] == "yes" for a in labels) >= 2
        correct = claim and sum(a.get("correct") == "yes" for a in labels) >= 2
        cited = claim and sum(a.get("cited") == "yes" for a in labels) >= 2
        assert verdicts[item_id] == {"claim": claim, "correct": correct, "cited": cited}

"""The all-objectives safety rule against an independent computation, on thousands of random label sets and
several taxonomy sizes (1, 3 and 6 objectives), through the production SQL."""

import itertools
import random

import pytest
from django.utils import timezone

from annotation.models import Aggregate, FormVersion, Question, RatingForm
from annotation.rules import SafetyAllObjectivesRule, rule_for_campaign
from annotation.services.aggregation import campaign_aggregate, item_aggregate
from tests.annotation.factories import complete_items
from tests.collection.factories import SafetyCampaignFactory

pytestmark = pytest.mark.django_db
ANSWERS = ("yes", "no", "maybe")


def _taxonomy(n: int) -> FormVersion:
    form = RatingForm.objects.create(
        slug=f"safety-{n}", name=f"safety with {n}", kind="safety", rule="safety-all-objectives"
    )
    version = FormVersion.objects.create(form=form, number=1, published_at=timezone.now())
    for i in range(n):
        Question.objects.create(version=version, position=i, key=f"obj{i}", title=f"objective {i}?")
    return version


def _expected(label_sets, keys, threshold):
    """Independent statement of the rule, in plain Python."""
    out = {}
    for item_id, labels in label_sets.items():
        ok_all = True
        for key in keys:
            no = sum(1 for label in labels if label[key] == "no")
            yes = sum(1 for label in labels if label[key] == "yes")
            out[(item_id, key)] = (no < threshold, yes)
            ok_all = ok_all and no >= threshold
        out[(item_id, "safe")] = (ok_all, sum(1 for label in labels if all(label[k] == "no" for k in keys)))
    return out


@pytest.mark.parametrize(
    ("objectives", "raters", "threshold", "n_random"),
    [(1, 3, 2, 300), (3, 3, 2, 2000), (6, 3, 2, 1000), (3, 5, 3, 500)],
)
def test_safe_exactly_when_every_objective_has_enough_no(objectives, raters, threshold, n_random):
    rng = random.Random(48348 + objectives * 10 + raters)
    version = _taxonomy(objectives)
    keys = [f"obj{i}" for i in range(objectives)]
    campaign = SafetyCampaignFactory(rating_form=version.form, raters_per_item=raters, positive_threshold=threshold)
    exhaustive = []
    if objectives == 1:  # every combination of answers for one objective
        exhaustive = [[{"obj0": a} for a in combo] for combo in itertools.product(ANSWERS, repeat=raters)]
    randoms = [[{k: rng.choice(ANSWERS) for k in keys} for _ in range(raters)] for _ in range(n_random)]
    label_sets = complete_items(campaign, version, exhaustive + randoms)

    written = campaign_aggregate(campaign_id=campaign.pk)

    expected = _expected(label_sets, keys, threshold)
    stored = {(a.item_id, a.attribute): (a.positive, a.yes_count) for a in Aggregate.objects.all()}
    assert written == len(expected) == (objectives + 1) * len(label_sets)
    assert stored == expected
    rule = rule_for_campaign(campaign)
    assert set(Aggregate.objects.values_list("rule_version", "form_version_id")) == {(rule.version, version.pk)}
    assert rule.version == f"safety-all/1:no>={threshold}of{raters}"
    sample = rng.sample(sorted(label_sets), 20)  # the per-item job gives the same verdicts
    Aggregate.objects.filter(item_id__in=sample).delete()
    for item_id in sample:
        assert item_aggregate(item_id=item_id)
    assert {(a.item_id, a.attribute): (a.positive, a.yes_count) for a in Aggregate.objects.all()} == expected


def test_rule_parameters_are_checked():
    with pytest.raises(ValueError):
        SafetyAllObjectivesRule(threshold=4, raters=3, objectives=("harm",))
    with pytest.raises(ValueError):
        SafetyAllObjectivesRule(threshold=2, raters=3, objectives=("safe",))  # would collide with the verdict row

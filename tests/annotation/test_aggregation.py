"""The aggregation rule against an independent computation: plain Python counting vs the production SQL."""

import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotation.forms import answers_check, form_spec
from annotation.models import Aggregate
from annotation.rules import QualityMajorityRule, rule_for_campaign
from annotation.services.aggregation import campaign_aggregate, item_aggregate
from config.api_errors import ApplicationError
from tests.annotation.factories import complete_items, form_version, random_answers
from tests.collection.factories import CampaignFactory

VALID_LABELS = [
    (s, p, i)
    for s in ("yes", "no", "maybe")
    for p in (("yes", "no", "maybe") if s == "yes" else (None,))
    for i in (("yes", "no", "maybe") if p == "yes" else (None,))
]


def _expected(label_sets, threshold):
    """Independent computation: count explicit yes per attribute position in plain Python."""
    out = {}
    for key, labels in label_sets.items():
        for position, attribute in enumerate(("sensible", "specific", "interesting")):
            yes = 0
            for label in labels:
                if label[position] == "yes":
                    yes += 1
            out[(key, attribute)] = (yes >= threshold, yes, len(labels))
    return out


def _load(campaign, label_sets):
    """One complete item per label set (tuples of sensible, specific, interesting); return {item_id: labels}."""
    answers = [[_as_answers(*label) for label in labels] for labels in label_sets]
    loaded = complete_items(campaign, form_version(), answers)
    return {item_id: labels for item_id, labels in zip(loaded, label_sets, strict=True)}


def _as_answers(s, p, i) -> dict:
    """A label's answers as stored: the questions asked (the cascade leaves the rest out)."""
    return {k: v for k, v in (("sensible", s), ("specific", p), ("interesting", i)) if v is not None}


def _stored():
    return {(a.item_id, a.attribute): (a.positive, a.yes_count, a.label_count) for a in Aggregate.objects.all()}


@pytest.mark.django_db
@pytest.mark.parametrize("raters, threshold, n_random", [(5, 3, 3000), (3, 2, 1000), (5, 4, 500)])
def test_rule_matches_plain_counting_on_thousands_of_label_sets(raters, threshold, n_random):
    rng = random.Random(20220120 + raters * 10 + threshold)
    exhaustive = [list(c) for c in itertools.combinations_with_replacement(VALID_LABELS, raters)]
    randoms = [[tuple(random_answers(rng).values()) for _ in range(raters)] for _ in range(n_random)]
    campaign = CampaignFactory(raters_per_item=raters, positive_threshold=threshold)
    label_sets = _load(campaign, exhaustive + randoms)

    written = campaign_aggregate(campaign_id=campaign.pk)

    expected = _expected(label_sets, threshold)
    assert written == len(expected) == 3 * len(label_sets)
    assert _stored() == expected
    assert set(Aggregate.objects.values_list("rule_version", flat=True)) == {
        f"ssi-majority/1:yes>={threshold}of{raters}"
    }
    # the per-item path (the Celery job) gives the same verdicts, and re-running replaces instead of adding
    # rows
    sample = rng.sample(sorted(label_sets), 25)
    Aggregate.objects.filter(item_id__in=sample).update(positive=False, yes_count=0)
    for item_id in sample:
        assert item_aggregate(item_id=item_id)
    assert _stored() == expected


@pytest.mark.django_db
def test_item_aggregate_skips_items_still_collecting(items):
    assert item_aggregate(item_id=items[0].pk) is False
    assert not Aggregate.objects.exists()


@pytest.mark.django_db
def test_rule_for_a_kind_without_a_form_is_refused_clearly():
    with pytest.raises(ApplicationError, match="no published rating form for roles campaigns"):
        rule_for_campaign(CampaignFactory(kind="roles"))


def test_rule_parameters_are_checked():
    with pytest.raises(ValueError):
        QualityMajorityRule(threshold=6, raters=5)


def _cascade_ok(values):
    """Independent statement of the cascade: answered exactly up to and including the first non-yes."""
    answered = [v is not None for v in values]
    if any(v not in (None, "yes", "no", "maybe") for v in values):
        return False
    expected = [True]
    for v in values[:-1]:
        expected.append(expected[-1] and v == "yes")
    return answered == expected


@pytest.fixture(scope="module")
def quality_spec(django_db_blocker):
    with django_db_blocker.unblock():
        return form_spec(form_version().pk)


@given(values=st.tuples(*[st.sampled_from([None, "", "yes", "no", "maybe", "YES", "sure"])] * 3))
def test_cascade_check_accepts_exactly_the_cascade(quality_spec, values):
    values = tuple(None if v == "" else v for v in values)
    answers = dict(zip(("sensible", "specific", "interesting"), values, strict=True))
    try:
        clean = answers_check(quality_spec, answers)
    except ApplicationError as exc:
        assert exc.status_code == 400
        assert not _cascade_ok(values)
    else:
        assert _cascade_ok(values) and clean == _as_answers(*values)

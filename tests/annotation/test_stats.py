import pytest

from annotation.selectors import campaign_stats
from annotation.services.assignment import assignment_claim
from annotation.services.labels import label_submit
from tests.annotation.factories import rating_items

pytestmark = pytest.mark.django_db
YES = {"sensible": "yes", "specific": "yes", "interesting": "yes"}
SENSIBLE_ONLY = {"sensible": "yes", "specific": "no", "interesting": None}
NO = {"sensible": "no", "specific": None, "interesting": None}


def _rate_item(raters, answers, capture):
    item_id = None
    with capture(execute=True):
        for rater, a in zip(raters, answers, strict=True):
            item_id = assignment_claim(rater_id=rater.pk).lease.item_id
            label_submit(rater_id=rater.pk, item_id=item_id, **a)
    return item_id


def test_stats_before_any_aggregation(items):
    stats = campaign_stats(campaign=items[0].campaign)
    assert (stats.items_total, stats.items_open, stats.items_complete, stats.items_aggregated) == (7, 7, 0, 0)
    assert stats.rates == {"sensible": None, "specific": None, "interesting": None} and stats.ssi is None


def test_stats_are_shares_of_aggregated_items_and_ssi_their_mean(items, raters, django_capture_on_commit_callbacks):
    five = raters[:5]
    _rate_item(five, [YES] * 3 + [NO] * 2, django_capture_on_commit_callbacks)  # s+ p+ i+
    _rate_item(five, [SENSIBLE_ONLY] * 3 + [NO] * 2, django_capture_on_commit_callbacks)  # s+ p- i-
    _rate_item(five, [YES] * 2 + [NO] * 3, django_capture_on_commit_callbacks)  # s- p- i-
    _rate_item(five, [YES] * 4 + [NO], django_capture_on_commit_callbacks)  # s+ p+ i+
    label_submit(rater_id=raters[5].pk, item_id=assignment_claim(rater_id=raters[5].pk).lease.item_id, **YES)
    rating_items()  # another campaign's items must not count

    stats = campaign_stats(campaign=items[0].campaign)
    assert (stats.items_total, stats.items_open, stats.items_complete, stats.items_aggregated) == (7, 3, 4, 4)
    assert stats.labels == 21
    assert stats.rates == {"sensible": 3 / 4, "specific": 2 / 4, "interesting": 2 / 4}
    assert stats.ssi == pytest.approx((0.75 + 0.5 + 0.5) / 3)

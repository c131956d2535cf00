from datetime import timedelta

import pytest
from django.utils import timezone

from annotation.jobs import expire_leases
from annotation.models import Label, Lease
from annotation.services.assignment import assignment_claim, assignment_release, item_quota_used
from config.api_errors import NotFound
from tests.annotation.factories import rating_items
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _expire(lease: Lease) -> None:
    Lease.objects.filter(pk=lease.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_claim_gives_the_oldest_open_item_under_a_lease(items, raters, settings):
    settings.LAMDA_LEASE_SECONDS = 120
    claim = assignment_claim(rater_id=raters[0].pk)
    assert claim.lease.item_id == items[0].pk and not claim.reused
    remaining = (claim.lease.expires_at - timezone.now()).total_seconds()
    assert 100 < remaining <= 120


def test_asking_again_with_a_live_lease_returns_the_same_item(items, raters):
    first = assignment_claim(rater_id=raters[0].pk)
    again = assignment_claim(rater_id=raters[0].pk)
    assert again.reused and again.lease.pk == first.lease.pk
    assert Lease.objects.filter(rater=raters[0]).count() == 1


def test_the_chatter_never_gets_their_own_turns(items):
    chatter = items[0].chatter
    assert assignment_claim(rater_id=chatter.pk) is None


def test_quota_counts_live_leases_so_an_item_never_gets_more_than_five(items, raters):
    claims = [assignment_claim(rater_id=r.pk) for r in raters]
    assert [c.lease.item_id for c in claims[:5]] == [items[0].pk] * 5
    assert claims[5].lease.item_id == items[1].pk  # the sixth rater is sent to the next item
    assert item_quota_used(item_id=items[0].pk, now=timezone.now()) == 5


def test_expired_leases_return_to_the_pool(items, raters):
    claims = [assignment_claim(rater_id=r.pk) for r in raters[:5]]
    _expire(claims[0].lease)
    late = assignment_claim(rater_id=raters[5].pk)
    assert late.lease.item_id == items[0].pk


def test_a_rater_never_gets_an_item_they_labelled(items, raters):
    rater = raters[0]
    Label.objects.create(item=items[0], rater=rater, answers={"sensible": "no"})
    assert assignment_claim(rater_id=rater.pk).lease.item_id == items[1].pk


def test_no_work_left_returns_none(items, raters):
    for item in items:
        for r in raters[:5]:
            Label.objects.create(item=item, rater=r, answers={"sensible": "no"})
        item.label_count, item.status = 5, "complete"
        item.save()
    assert assignment_claim(rater_id=UserFactory().pk) is None


def test_campaign_filter(items, raters):
    other = rating_items()
    claim = assignment_claim(rater_id=raters[0].pk, campaign_id=other[0].campaign_id)
    assert claim.lease.item_id == other[0].pk


def test_an_expired_own_lease_is_replaced_on_the_next_claim(items, raters):
    first = assignment_claim(rater_id=raters[0].pk)
    _expire(first.lease)
    second = assignment_claim(rater_id=raters[0].pk)
    assert not second.reused and second.lease.expires_at > timezone.now()
    assert Lease.objects.filter(rater=raters[0]).count() == 1


def test_release_gives_the_item_back(items, raters):
    claim = assignment_claim(rater_id=raters[0].pk)
    assignment_release(rater_id=raters[0].pk, item_id=claim.lease.item_id)
    assert not Lease.objects.exists()
    with pytest.raises(NotFound):
        assignment_release(rater_id=raters[0].pk, item_id=claim.lease.item_id)


def test_expire_leases_job_deletes_only_expired_ones(items, raters):
    live = assignment_claim(rater_id=raters[0].pk).lease
    dead = assignment_claim(rater_id=raters[1].pk).lease
    _expire(dead)
    assert expire_leases.delay().get() == 1
    assert list(Lease.objects.values_list("pk", flat=True)) == [live.pk]

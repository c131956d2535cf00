"""Work assignment: leases on rating items (design and diagram in docs/assignment.md).

Locks, always taken in this order so that no two transactions wait on each other in a cycle:
1. the rater's auth_user row (FOR UPDATE): one rater's claims run one at a time;
2. the rater's own lease row (FOR UPDATE, in labels.py);
3. one rating item row (FOR UPDATE SKIP LOCKED when claiming, FOR UPDATE when submitting).

Every change that can raise an item's "labels + live leases" total happens while holding that item's row lock
and re-counts in a fresh statement, so the quota holds however many raters ask at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from annotation.models import Lease, QualityLabel, RatingItem
from config.api_errors import NotFound


@dataclass(frozen=True)
class Claim:
    lease: Lease
    reused: bool  # True when the rater already held this live lease


def item_quota_used(*, item_id: int, now: datetime, exclude_rater_id: int | None = None) -> int:
    """Labels plus live leases on an item. Call it while holding the item's row lock for a stable answer."""
    sql = (
        f"SELECT (SELECT count(*) FROM {QualityLabel._meta.db_table} WHERE item_id = %s)"
        f" + (SELECT count(*) FROM {Lease._meta.db_table}"
        "     WHERE item_id = %s AND expires_at > %s AND rater_id IS DISTINCT FROM %s)"
    )
    with connection.cursor() as cursor:  # one round trip: this runs on every claim
        cursor.execute(sql, [item_id, item_id, now, exclude_rater_id])
        return cursor.fetchone()[0]


def _candidates(*, rater_id: int, campaign_id: int | None):
    """Open items this rater did not chat and did not label, oldest first (quota re-checked after locking)."""
    qs = (
        RatingItem.objects.filter(status=RatingItem.Status.OPEN)
        .exclude(chatter_id=rater_id)
        .exclude(Exists(QualityLabel.objects.filter(item_id=OuterRef("pk"), rater_id=rater_id)))
        .order_by("id")
    )
    if campaign_id is not None:
        qs = qs.filter(campaign_id=campaign_id)
    return qs


@transaction.atomic
def assignment_claim(*, rater_id: int, campaign_id: int | None = None) -> Claim | None:
    """Give the rater their next item under a lease, or None when no work is left for them.

    Takes, in order: the rater's auth_user row FOR UPDATE; then candidate rating item rows FOR UPDATE SKIP
    LOCKED, one at a time, re-counting labels + live leases under that lock. A rater who still holds a live
    lease on an open item gets that same lease back (whatever `campaign_id` says)."""
    now = timezone.now()
    get_user_model().objects.select_for_update().filter(pk=rater_id).values_list("pk", flat=True).get()
    held = Lease.objects.select_related("item").filter(rater_id=rater_id).first()
    if held is not None:
        if held.expires_at > now and held.item.status == RatingItem.Status.OPEN:
            return Claim(lease=held, reused=True)
        held.delete()  # expired (or its item is done): back to the pool; the rater may get it again below
    tried: list[int] = []
    while True:
        item = (
            _candidates(rater_id=rater_id, campaign_id=campaign_id)
            .exclude(pk__in=tried)
            .select_for_update(skip_locked=True, of=("self",))
            .only("id", "required_labels")
            .first()
        )
        if item is None:
            return None
        if item_quota_used(item_id=item.pk, now=now) < item.required_labels:
            expires = now + timedelta(seconds=settings.LAMDA_LEASE_SECONDS)
            lease = Lease.objects.create(item=item, rater_id=rater_id, created_at=now, expires_at=expires)
            return Claim(lease=lease, reused=False)
        tried.append(item.pk)


@transaction.atomic
def assignment_release(*, rater_id: int, item_id: int) -> None:
    """Give a leased item back without rating it (the rater skips it)."""
    deleted, _ = Lease.objects.filter(rater_id=rater_id, item_id=item_id).delete()
    if not deleted:
        raise NotFound("You hold no lease on this item.")


@transaction.atomic
def leases_expire(*, now: datetime | None = None) -> int:
    """Delete leases past their expiry; return how many. Housekeeping only: an expired lease already stopped
    counting against its item's quota the moment it expired."""
    deleted, _ = Lease.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted

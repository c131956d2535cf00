"""Work assignment: leases on rating items (design and diagram in docs/assignment.md).

Locks, always taken in this order so that no two transactions wait on each other in a cycle:
1. the rater's auth_user row (FOR UPDATE): one rater's claims run one at a time;
2. the rater's own lease row (FOR UPDATE, in labels.py);
3. one rating item row (FOR UPDATE SKIP LOCKED when claiming, FOR UPDATE when submitting).

Every change that can raise an item's "labels + live leases" total happens while holding that item's row lock
and re-counts in a fresh statement, so the quota holds however many raters ask at once. The SQL is in
annotation/services/assignment_sql.py: a claim is four statements (rater lock; held lease; candidate lock; re-count
with the lease insert), fewer than the ORM could say it in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from annotation.models import ItemSkip, Label, Lease
from annotation.services import assignment_sql as sql
from config.api_errors import ApplicationError, Forbidden, NotFound, Unavailable
from config.prepared_sql import sql_cursor

BUSY = gettext_noop("Rating work is being handed out to other raters this very moment. Please try again in a second.")


class WarningNotRead(Forbidden):
    """403: the campaign shows raters a content warning before their first item, and this rater has not read it."""

    def __init__(self, *, campaign_id: int, warning: str):
        super().__init__(
            gettext("This campaign's responses may be upsetting: read its content warning first."),
            extra={"code": "content_warning", "warning": warning, "campaign_id": campaign_id},
        )


class DailyCapReached(ApplicationError):
    """429: the rater rated the campaign's daily cap of items today (UTC); Retry-After says when the day ends."""

    status_code = 429

    def __init__(self, *, cap: int, today: int, retry_after: int):
        super().__init__(
            gettext(
                "You rated %(today)s items of this campaign today; its daily limit is %(cap)s. Thank you! Come back "
                "tomorrow (UTC)."
            )
            % {"today": today, "cap": cap},
            extra={"code": "daily_cap", "cap": cap, "today": today},
        )
        self.retry_after = retry_after


def utc_midnight(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


class ClaimBusy(Unavailable):
    """Open items exist for this rater, but every one of them stayed row-locked by other raters' claims and
    submits for LAMDA_CLAIM_BUSY_SECONDS: 503 + Retry-After, not a false "no work left"."""

    def __init__(self):
        super().__init__(gettext(BUSY), retry_after=1, extra={"code": "busy"})


@dataclass(frozen=True)
class Claim:
    lease: Lease
    reused: bool  # True when the rater already held this live lease


def item_quota_used(*, item_id: int, now: datetime, exclude_rater_id: int | None = None) -> int:
    """Labels plus live leases on an item. Call it while holding the item's row lock for a stable answer."""
    query = (
        f"SELECT (SELECT count(*) FROM {Label._meta.db_table} WHERE item_id = %s)"
        f" + (SELECT count(*) FROM {Lease._meta.db_table}"
        "     WHERE item_id = %s AND expires_at > %s AND rater_id IS DISTINCT FROM %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [item_id, item_id, now, exclude_rater_id])
        return cursor.fetchone()[0]


def rater_lock(cursor, *, rater_id: int) -> None:
    """Lock 1: the rater's auth_user row, for the rest of the transaction (one rater's claims run one at a time)."""
    cursor.execute(sql.RATER_LOCK, {"rater": rater_id})
    if cursor.fetchone() is None:
        raise NotFound(gettext("No such rater."))


def held_lease(cursor, *, rater_id: int, now: datetime) -> Lease | None:
    """Under the rater's row lock: their live lease on an open item (a fresh statement sees their last claim);
    a dead one is deleted."""
    cursor.execute(sql.HELD_LEASE, {"rater": rater_id})
    row = cursor.fetchone()
    if row is None:
        return None
    lease_id, item_id, created_at, expires_at, item_open = row
    if expires_at > now and item_open:
        return Lease(id=lease_id, item_id=item_id, rater_id=rater_id, created_at=created_at, expires_at=expires_at)
    cursor.execute(sql.LEASE_DELETE, {"lease": lease_id})  # expired, or its item is done: back to the pool
    return None


def claim_params(*, rater_id: int, campaign_id: int | None) -> dict:
    """The named parameters of the claim statements (assignment_sql.py) for a claim starting now."""
    now = timezone.now()
    expires = now + timedelta(seconds=settings.LAMDA_LEASE_SECONDS)
    return {"rater": rater_id, "campaign": campaign_id, "now": now, "expires": expires, "day": utc_midnight(now),
            "tried": []}  # fmt: skip


@transaction.atomic
def assignment_claim(*, rater_id: int, campaign_id: int | None = None) -> Claim | None:
    """Give the rater their next item under a lease, or None when no work is left for them.

    Takes, in order: the rater's auth_user row FOR UPDATE; then candidate rating item rows FOR UPDATE SKIP
    LOCKED, one at a time, re-counting labels + live leases under that lock. A rater who still holds a live
    lease on an open item gets that same lease back (whatever `campaign_id` says). When open items with room
    exist but all are row-locked by others, retry for LAMDA_CLAIM_BUSY_SECONDS, then raise ClaimBusy (503)."""
    params = claim_params(rater_id=rater_id, campaign_id=campaign_id)
    with sql_cursor() as cursor:
        rater_lock(cursor, rater_id=rater_id)
        held = held_lease(cursor, rater_id=rater_id, now=params["now"])
        if held is not None:
            return Claim(lease=held, reused=True)
        return claim_locked(cursor, params, wait=True)


def claim_locked(cursor, params: dict, *, wait: bool) -> Claim | None:
    """The claim itself, inside a transaction that holds the rater's row lock (lock 1) and in which the rater
    holds no lease: the campaign gate, then candidates FOR NO KEY UPDATE SKIP LOCKED, each re-counted under its
    lock with the lease insert. None: no work. All candidates locked: `wait` retries with a back-off for
    LAMDA_CLAIM_BUSY_SECONDS, then ClaimBusy; without `wait` ClaimBusy at once (a caller that holds other row locks
    must not sleep on them)."""
    if params["campaign"] is not None:
        _campaign_gate(cursor, params)
    deadline, pause = time.monotonic() + settings.LAMDA_CLAIM_BUSY_SECONDS, 0.02
    while True:
        cursor.execute(sql.CANDIDATE_LOCK, params)
        row = cursor.fetchone()
        if row is None:
            cursor.execute(sql.CANDIDATE_EXISTS, params)  # none free: none at all, or all locked?
            if cursor.fetchone() is None:
                return None
            if not wait or time.monotonic() >= deadline:
                raise ClaimBusy()
            time.sleep(pause)
            pause = min(pause * 2, 0.2)
            continue
        item_id, required = row
        cursor.execute(sql.LEASE_INSERT_IF_ROOM, {**params, "item": item_id, "required": required})
        inserted = cursor.fetchone()
        if inserted is not None:
            lease = Lease(
                id=inserted[0],
                item_id=item_id,
                rater_id=params["rater"],
                created_at=params["now"],
                expires_at=params["expires"],
            )
            return Claim(lease=lease, reused=False)
        params["tried"].append(item_id)  # full after all (a claim committed since our snapshot)


def _campaign_gate(cursor, params: dict) -> None:
    """A claim in one named campaign: the content warning read, the daily cap not reached (else a clear 403/429;
    a claim across campaigns simply skips such campaigns, in the candidate query)."""
    cursor.execute(sql.CAMPAIGN_GATE, params)
    row = cursor.fetchone()
    if row is None:
        return
    warning, cap, today = row
    if warning:
        raise WarningNotRead(campaign_id=params["campaign"], warning=warning)
    if cap is not None and today >= cap:
        seconds = int((params["day"] + timedelta(days=1) - params["now"]).total_seconds()) + 1
        raise DailyCapReached(cap=cap, today=today, retry_after=seconds)


@transaction.atomic
def assignment_release(*, rater_id: int, item_id: int) -> None:
    """Skip a leased item: it goes back to the pool for the others (no penalty) and is not offered to this rater
    again."""
    deleted, _ = Lease.objects.filter(rater_id=rater_id, item_id=item_id).delete()
    if not deleted:
        raise NotFound(gettext("You hold no lease on this item."))
    ItemSkip.objects.get_or_create(item_id=item_id, rater_id=rater_id)


@transaction.atomic
def leases_expire(*, now: datetime | None = None) -> int:
    """Delete leases past their expiry; return how many. Housekeeping only: an expired lease already stopped
    counting against its item's quota the moment it expired."""
    deleted, _ = Lease.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted

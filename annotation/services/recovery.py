"""Catching up on jobs that never ran: the broker was down at the moment of commit, a worker was killed with the
job in hand, or the web server died between commit and queueing.

Item creation is queued with `transaction.on_commit`, and so is aggregation when the inline aggregation of an
item's last label raised (docs/aggregation.md); if the message is lost, the data is already committed but the job
never runs. This sweep (beat, every LAMDA_RECOVERY_SECONDS, default 15 s, and once when a worker starts) finds
that state from the database alone and runs the same idempotent services, so nothing stays un-rated or
un-aggregated for more than about half a minute (items completed before aggregation ran inline included). It reads
two partial indexes that hold only the rows waiting (ChatSession.rating_items_pending, RatingItem complete and not
aggregated), so it costs one index probe each when there is nothing to do (tests/annotation/test_recovery.py
checks the plans). Work younger than LAMDA_RECOVERY_GRACE_SECONDS (10 s) is left to its own job, which is most
likely still in the queue. Design note: docs/outages.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from annotation.models import RatingItem
from annotation.services.aggregation import item_aggregate
from annotation.services.items import rating_items_create_for_session
from collection.services.chat_session import sessions_rating_items_pending


@dataclass(frozen=True)
class Recovered:
    sessions: int
    items: int


def unaggregated_items(*, completed_before: datetime, limit: int) -> list[int]:
    """Complete items never aggregated, oldest first (the partial index ratingitem_unaggregated_idx)."""
    qs = RatingItem.objects.filter(
        status=RatingItem.Status.COMPLETE, aggregated_at__isnull=True, completed_at__lte=completed_before
    ).order_by("completed_at")
    return list(qs.values_list("pk", flat=True)[:limit])


def missed_jobs_recover(*, limit: int = 500, now: datetime | None = None) -> Recovered:
    """Create rating items for sessions sent for rating that have none, and aggregate complete items that were
    never aggregated. Both services are idempotent, so racing the regular jobs is harmless."""
    before = (now or timezone.now()) - timedelta(seconds=settings.LAMDA_RECOVERY_GRACE_SECONDS)
    sessions = sessions_rating_items_pending(ended_before=before, limit=limit)
    created = sum(1 for sid in sessions if rating_items_create_for_session(session_id=sid))
    items = unaggregated_items(completed_before=before, limit=limit)
    aggregated = sum(1 for iid in items if item_aggregate(item_id=iid))
    return Recovered(sessions=created, items=aggregated)

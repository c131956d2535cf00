"""Catching up on jobs that were never queued (the broker was down at the moment of commit).

Item creation and aggregation are queued with `transaction.on_commit`; if the broker refuses the message, the
data is already committed but the job never runs. This sweep (a beat job, every few minutes) finds that state
from the database alone and runs the same idempotent services, so nothing stays un-rated or un-aggregated.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from annotation.models import RatingItem
from annotation.services.aggregation import item_aggregate
from annotation.services.items import rating_items_create_for_session
from collection.models import Campaign, ChatSession


@dataclass(frozen=True)
class Recovered:
    sessions: int
    items: int


def missed_jobs_recover(*, limit: int = 500) -> Recovered:
    """Create rating items for sent-for-rating sessions that have none, and aggregate complete items that were
    never aggregated. Both services are idempotent, so racing the regular jobs is harmless."""
    has_items = RatingItem.objects.filter(session_id=OuterRef("pk"))
    sessions = (
        ChatSession.objects.filter(sent_for_rating=True, campaign__kind=Campaign.Kind.QUALITY)
        .exclude(status=ChatSession.Status.ACTIVE)
        .filter(~Exists(has_items))
        .values_list("pk", flat=True)[:limit]
    )
    created = sum(1 for sid in sessions if rating_items_create_for_session(session_id=sid))
    stale = RatingItem.objects.filter(status=RatingItem.Status.COMPLETE, aggregated_at__isnull=True)
    aggregated = sum(1 for iid in stale.values_list("pk", flat=True)[:limit] if item_aggregate(item_id=iid))
    return Recovered(sessions=created, items=aggregated)

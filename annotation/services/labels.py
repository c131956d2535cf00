"""Submitting a rater's answers for a leased item (lock order: docs/assignment.md,
annotation/services/assignment.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from annotation.models import Lease, QualityLabel, RatingItem
from annotation.rules import quality_cascade_check
from annotation.services.assignment import item_quota_used
from config.api_errors import Conflict, Forbidden, NotFound

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    label: QualityLabel
    created: bool  # False: the same answers were already stored (idempotent repeat)
    item_complete: bool


@transaction.atomic
def label_submit(
    *, rater_id: int, item_id: int, sensible: str | None, specific: str | None, interesting: str | None
) -> Submission:
    """Store the rater's answers for an item they hold a lease on, and aggregate the item when this was its
    last label.

    Takes, in order: the rater's lease row FOR UPDATE (so the same rater's duplicate submits run one after the
    other), then the item row FOR UPDATE to bump `label_count`. Answers that break the cascade -> 400; no item
    -> 404; own chat or no lease -> 403; answers differing from ones already stored, or an expired lease whose
    place was taken -> 409. The same answers again -> the stored label (idempotent)."""
    answers = quality_cascade_check({"sensible": sensible, "specific": specific, "interesting": interesting})
    item = RatingItem.objects.filter(pk=item_id).only("id", "chatter_id", "status").first()
    if item is None:
        raise NotFound(f"Rating item {item_id} does not exist.")
    if item.chatter_id == rater_id:
        raise Forbidden("You cannot rate turns from your own chat.")
    lease = Lease.objects.select_for_update().filter(rater_id=rater_id, item_id=item_id).first()
    existing = QualityLabel.objects.filter(item_id=item_id, rater_id=rater_id).first()
    if existing is not None:
        if existing.answers() == answers:
            return Submission(label=existing, created=False, item_complete=item.status == RatingItem.Status.COMPLETE)
        raise Conflict("You already rated this item with different answers; a label cannot be changed.")
    if lease is None:
        if item.status == RatingItem.Status.COMPLETE:
            raise Conflict("This item already has all its labels.")
        raise Forbidden("You hold no lease on this item (it may have expired): ask for your next item first.")
    now = timezone.now()
    item = RatingItem.objects.select_for_update().get(pk=item_id)
    if lease.expires_at <= now and item_quota_used(item_id=item_id, now=now, exclude_rater_id=rater_id) >= (
        item.required_labels
    ):
        raise Conflict("Your lease on this item expired and the item went to other raters; ask for your next item.")
    label = QualityLabel.objects.create(item=item, rater_id=rater_id, leased_at=lease.created_at, **answers)
    lease.delete()
    item.label_count += 1
    if item.label_count >= item.required_labels:
        item.status, item.completed_at = RatingItem.Status.COMPLETE, now
        transaction.on_commit(lambda: _enqueue_aggregation(item.pk))
    item.save(update_fields=["label_count", "status", "completed_at"])
    return Submission(label=label, created=True, item_complete=item.status == RatingItem.Status.COMPLETE)


def _enqueue_aggregation(item_id: int) -> None:
    from annotation.jobs import aggregate_item  # jobs import services; import late to keep the graph acyclic

    try:
        aggregate_item.delay(item_id)
    except Exception:  # the label is committed; never turn a saved label into a 500 because the broker is down
        logger.exception("could not queue aggregation of item %s; the recovery sweep will aggregate it", item_id)

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from annotation.models import RatingItem
from annotation.rules import rule_for_campaign
from collection.models import Campaign


@transaction.atomic
def item_aggregate(*, item_id: int) -> bool:
    """Aggregate one complete item with its campaign's rule; False (nothing written) when it is not complete
    yet. Idempotent: running it again replaces the same rows."""
    item = RatingItem.objects.select_related("campaign").get(pk=item_id)
    if item.status != RatingItem.Status.COMPLETE:
        return False
    rule_for_campaign(item.campaign).aggregate(items=RatingItem.objects.filter(pk=item_id))
    RatingItem.objects.filter(pk=item_id).update(aggregated_at=timezone.now())
    return True


@transaction.atomic
def campaign_aggregate(*, campaign_id: int) -> int:
    """(Re-)aggregate every complete item of a campaign in one statement; return how many Aggregate rows were
    written. Used after a rule change and by benchmarks/aggregate.py."""
    campaign = Campaign.objects.get(pk=campaign_id)
    items = RatingItem.objects.filter(campaign_id=campaign_id, status=RatingItem.Status.COMPLETE)
    written = rule_for_campaign(campaign).aggregate(items=items)
    items.update(aggregated_at=timezone.now())
    return written

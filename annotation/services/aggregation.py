from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from annotation.models import FormVersion, RatingItem
from annotation.rules import rule_for_campaign
from annotation.services.groundedness import after_aggregation
from collection.models import Campaign


@transaction.atomic
def item_aggregate(*, item_id: int) -> bool:
    """Aggregate one complete item with its form's rule over the item's form version (and route a claim check that
    needs research, in the same transaction); False (nothing written) when it is not complete yet. Idempotent:
    running it again replaces the same rows."""
    item = RatingItem.objects.select_related("campaign", "form_version").get(pk=item_id)
    if item.status != RatingItem.Status.COMPLETE:
        return False
    rule = rule_for_campaign(item.campaign, item.form_version)
    items = RatingItem.objects.filter(pk=item_id)
    rule.aggregate(items=items, form_version_id=item.form_version_id)
    after_aggregation(rule, items)
    items.update(aggregated_at=timezone.now())
    return True


@transaction.atomic
def campaign_aggregate(*, campaign_id: int) -> int:
    """(Re-)aggregate every complete item of a campaign, one statement per form version its items use; return how
    many Aggregate rows were written. Used after a rule change and by benchmarks/aggregate.py."""
    campaign = Campaign.objects.get(pk=campaign_id)
    items = RatingItem.objects.filter(campaign_id=campaign_id, status=RatingItem.Status.COMPLETE)
    written = 0
    for version in FormVersion.objects.filter(pk__in=items.values("form_version_id")):
        rule = rule_for_campaign(campaign, version)
        written += rule.aggregate(items=items.filter(form_version=version), form_version_id=version.pk)
        after_aggregation(rule, items.filter(form_version=version))
    items.update(aggregated_at=timezone.now())
    return written

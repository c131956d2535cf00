"""Reads of the annotation app. A rater only ever sees the dialog up to the rated turn and their own label."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q, Subquery
from django.utils import timezone

from annotation.models import Aggregate, Lease, QualityLabel, RatingItem
from annotation.rules import QUALITY_ATTRIBUTES, rule_for_campaign
from collection.models import Campaign, Turn
from config.api_errors import Forbidden, NotFound


@dataclass(frozen=True)
class RaterItemView:
    item: RatingItem
    dialog: list[Turn]  # oldest first, ending with the rated model turn
    lease_expires_at: datetime | None
    own_label: QualityLabel | None


def item_dialog(*, item: RatingItem) -> list[Turn]:
    """The session's turns up to and including the rated turn; nothing said later."""
    rated_index = Turn.objects.filter(pk=item.turn_id).values("index")
    return list(
        Turn.objects.filter(session_id=item.session_id, index__lte=Subquery(rated_index))
        .only("id", "index", "speaker", "text")
        .order_by("index")
    )


def item_for_rater(*, item_id: int, rater_id: int) -> RaterItemView:
    """What one rater may see of an item: allowed while they hold a lease on it or after they labelled it."""
    item = RatingItem.objects.select_related("campaign").filter(pk=item_id).first()
    if item is None:
        raise NotFound(f"Rating item {item_id} does not exist.")
    lease = Lease.objects.filter(item_id=item_id, rater_id=rater_id).first()
    own = QualityLabel.objects.filter(item_id=item_id, rater_id=rater_id).first()
    if lease is None and own is None:
        raise Forbidden("This item is not assigned to you.")
    return RaterItemView(
        item=item,
        dialog=item_dialog(item=item),
        lease_expires_at=lease.expires_at if lease else None,
        own_label=own,
    )


def item_for_lease(*, lease: Lease) -> RaterItemView:
    """The view of a freshly claimed item (no label of the rater's can exist yet)."""
    item = RatingItem.objects.select_related("campaign").get(pk=lease.item_id)
    return RaterItemView(item=item, dialog=item_dialog(item=item), lease_expires_at=lease.expires_at, own_label=None)


def lease_current(*, rater_id: int) -> Lease | None:
    """The rater's live lease on an open item, if any."""
    return (
        Lease.objects.select_related("item")
        .filter(rater_id=rater_id, expires_at__gt=timezone.now(), item__status=RatingItem.Status.OPEN)
        .first()
    )


@dataclass(frozen=True)
class CampaignStats:
    campaign: Campaign
    rule_version: str
    items_total: int
    items_open: int
    items_complete: int
    items_aggregated: int
    labels: int
    rates: dict[str, float | None] = field(default_factory=dict)  # share of aggregated items positive, 0..1
    ssi: float | None = None  # mean of the three rates


def campaign_stats(*, campaign: Campaign) -> CampaignStats:
    """Sensibleness, specificity, interestingness (share of aggregated items positive under the campaign's
    current rule) and SSI (their mean), with item counts. Rates are None until at least one item is
    aggregated."""
    version = rule_for_campaign(campaign).version
    counts = RatingItem.objects.filter(campaign=campaign).aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(status=RatingItem.Status.OPEN)),
        complete=Count("id", filter=Q(status=RatingItem.Status.COMPLETE)),
    )
    per_attribute = {
        row["attribute"]: row
        for row in Aggregate.objects.filter(item__campaign=campaign, rule_version=version)
        .values("attribute")
        .annotate(n=Count("id"), pos=Count("id", filter=Q(positive=True)))
    }
    aggregated = max((row["n"] for row in per_attribute.values()), default=0)
    rates = {
        a: (per_attribute[a]["pos"] / per_attribute[a]["n"]) if a in per_attribute else None for a in QUALITY_ATTRIBUTES
    }
    ssi = sum(rates.values()) / len(rates) if all(v is not None for v in rates.values()) else None
    return CampaignStats(
        campaign=campaign,
        rule_version=version,
        items_total=counts["total"],
        items_open=counts["open"],
        items_complete=counts["complete"],
        items_aggregated=aggregated,
        labels=QualityLabel.objects.filter(item__campaign=campaign).count(),
        rates=rates,
        ssi=ssi,
    )

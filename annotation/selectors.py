"""Reads of the annotation app. A rater only ever sees the dialog up to the rated turn and their own label."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext

from annotation.forms import FormSpec, form_for_campaign, form_spec, remember_item
from annotation.models import Aggregate, Demographics, Label, Lease, RatingItem
from annotation.rules import rule_for_campaign
from collection.models import Campaign
from config.api_errors import Forbidden, NotFound
from config.prepared_sql import sql_cursor


class DialogTurn(NamedTuple):
    """One turn as a rater sees it (a plain tuple: a dialog is built on every claim)."""

    index: int
    speaker: str
    text: str


@dataclass(frozen=True)
class RaterItemView:
    item_id: int
    campaign: Campaign  # slug and name loaded
    form: FormSpec  # the questions to answer
    dialog: list[DialogTurn]  # oldest first, ending with the rated model turn
    lease_expires_at: datetime | None
    own_label: Label | None


# the rated turn's text is the rewrite when the item judges one (groundedness correct / incorrect)
_DIALOG_SQL = """
SELECT c.slug, c.name, i.form_version_id, i.chatter_id, t.index, t.speaker,
       CASE WHEN t.id = r.id AND w.id IS NOT NULL THEN w.text ELSE t.text END
FROM annotation_ratingitem i
JOIN collection_campaign c ON c.id = i.campaign_id
JOIN collection_turn r ON r.id = i.turn_id
JOIN collection_turn t ON t.session_id = i.session_id AND t.index <= r.index
LEFT JOIN collection_rewrite w ON w.id = i.rewrite_id
WHERE i.id = %s
ORDER BY t.index
"""


def item_dialog(*, item_id: int) -> tuple[Campaign, FormSpec, list[DialogTurn]]:
    """The item's campaign (slug, name), its form and its session's turns up to and including the rated turn
    (nothing said later, and never the chatter's flags). One plain statement, prepared once per connection: it
    runs after every claim, and the ORM spent more time compiling this query than PostgreSQL spends running it
    (docs/performance.md)."""
    with sql_cursor() as cursor:
        cursor.execute(_DIALOG_SQL, [item_id])
        rows = cursor.fetchall()
    if not rows:
        raise NotFound(gettext("Rating item %(n)s does not exist.") % {"n": item_id})
    campaign = Campaign(slug=rows[0][0], name=rows[0][1])
    remember_item(item_id, rows[0][2], rows[0][3])  # the submit that follows needs them too
    return campaign, form_spec(rows[0][2]), [DialogTurn(*row[4:]) for row in rows]


def item_turn_id(*, item_id: int) -> int | None:
    """The id of the turn an item rates, or None when there is no such item."""
    return RatingItem.objects.filter(pk=item_id).values_list("turn_id", flat=True).first()


def item_for_rater(*, item_id: int, rater_id: int) -> RaterItemView:
    """What one rater may see of an item: allowed while they hold a lease on it or after they labelled it."""
    if not RatingItem.objects.filter(pk=item_id).exists():
        raise NotFound(gettext("Rating item %(n)s does not exist.") % {"n": item_id})
    lease = Lease.objects.filter(item_id=item_id, rater_id=rater_id).first()
    own = Label.objects.filter(item_id=item_id, rater_id=rater_id).first()
    if lease is None and own is None:
        raise Forbidden(gettext("This item is not assigned to you."))
    campaign, form, dialog = item_dialog(item_id=item_id)
    return RaterItemView(
        item_id=item_id,
        campaign=campaign,
        form=form,
        dialog=dialog,
        lease_expires_at=lease.expires_at if lease else None,
        own_label=own,
    )


def item_for_lease(*, lease: Lease) -> RaterItemView:
    """The view of a freshly claimed item (no label of the rater's can exist yet): one query."""
    campaign, form, dialog = item_dialog(item_id=lease.item_id)
    return RaterItemView(
        item_id=lease.item_id,
        campaign=campaign,
        form=form,
        dialog=dialog,
        lease_expires_at=lease.expires_at,
        own_label=None,
    )


_QUEUES_SQL = """
SELECT c.slug, c.name, count(*)
FROM annotation_ratingitem i JOIN collection_campaign c ON c.id = i.campaign_id
WHERE i.status = 'open' AND i.chatter_id <> %(rater)s
  AND NOT EXISTS (SELECT 1 FROM annotation_label q WHERE q.item_id = i.id AND q.rater_id = %(rater)s)
  AND NOT EXISTS (SELECT 1 FROM annotation_itemskip k WHERE k.item_id = i.id AND k.rater_id = %(rater)s)
GROUP BY c.slug, c.name ORDER BY c.name
"""


def rating_queues_for(*, rater_id: int) -> list[dict]:
    """Per campaign, the open items this rater may still rate (not their chat, not rated or skipped by them)."""
    with connection.cursor() as cursor:
        cursor.execute(_QUEUES_SQL, {"rater": rater_id})
        return [{"slug": slug, "name": name, "waiting": n} for slug, name, n in cursor.fetchall()]


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
    ssi: float | None = None  # quality: mean of the three rates


def campaign_stats(*, campaign: Campaign) -> CampaignStats:
    """For each attribute of the campaign's current rule, the share of aggregated items positive (quality:
    sensibleness, specificity, interestingness, and SSI their mean; safety: each objective violated, and safe),
    with item counts. Rates are None until at least one item is aggregated."""
    rule = rule_for_campaign(campaign)
    version = rule.version
    main_form = form_for_campaign(campaign).form_id  # evaluation-form items have their own figures
    counts = RatingItem.objects.filter(campaign=campaign, form_id=main_form).aggregate(
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
        a: (per_attribute[a]["pos"] / per_attribute[a]["n"]) if a in per_attribute else None for a in rule.attributes
    }
    ssi = None
    if campaign.kind == Campaign.Kind.QUALITY and rates and all(v is not None for v in rates.values()):
        ssi = sum(rates.values()) / len(rates)
    return CampaignStats(
        campaign=campaign,
        rule_version=version,
        items_total=counts["total"],
        items_open=counts["open"],
        items_complete=counts["complete"],
        items_aggregated=aggregated,
        labels=Label.objects.filter(item__campaign=campaign, item__form_id=main_form).count(),
        rates=rates,
        ssi=ssi,
    )


def demographics_of(*, rater_id: int) -> Demographics | None:
    """The rater's own demographics row (None: never asked)."""
    return Demographics.objects.filter(rater_id=rater_id).first()

from __future__ import annotations

import functools

from django.db import connection, transaction
from django.utils import timezone

from annotation.models import FormVersion, RatingItem
from annotation.rules import rule_for_campaign
from annotation.services.groundedness import after_aggregation
from collection.models import Campaign
from config.prepared_sql import sql_cursor


@transaction.atomic
def item_aggregate(*, item_id: int) -> bool:
    """Aggregate one complete item with its form's rule over the item's form version (and route a claim check that
    needs research, in the same transaction); False (nothing written) when it is not complete yet. Idempotent:
    running it again replaces the same rows. It runs inside the request that stores an item's last label
    (labels._aggregate_now), so the item and its campaign are read with one plain statement and `aggregated_at`
    is set with another: the ORM's compiling of these two queries cost more CPU than the rest of the aggregation
    (docs/performance.md)."""
    status, form_version_id, campaign = _item_campaign(item_id)
    if status != RatingItem.Status.COMPLETE:
        return False
    rule = rule_for_campaign(campaign, FormVersion(pk=form_version_id))
    rule.aggregate(items=[item_id], form_version_id=form_version_id)
    after_aggregation(rule, [item_id])
    with sql_cursor() as cursor:
        cursor.execute(_MARK_AGGREGATED, [timezone.now(), item_id])
    return True


_MARK_AGGREGATED = f"UPDATE {RatingItem._meta.db_table} SET aggregated_at = %s WHERE id = %s"


def _item_campaign(item_id: int) -> tuple[str, int, Campaign]:
    """(status, form version id, campaign) of an item, in one statement; RatingItem.DoesNotExist if none."""
    query, fields, attnames = _item_campaign_query()
    with sql_cursor() as cursor:
        cursor.execute(query, [item_id])
        row = cursor.fetchone()
    if row is None:
        raise RatingItem.DoesNotExist(f"Rating item {item_id} does not exist.")
    values = [  # what the ORM's compiler would apply (e.g. a JSONField's parsing); none of today's fields need it
        f.from_db_value(v, None, connection) if hasattr(f, "from_db_value") else v
        for f, v in zip(fields, row[2:], strict=True)
    ]
    return row[0], row[1], Campaign.from_db(connection.alias, attnames, values)


@functools.cache
def _item_campaign_query() -> tuple[str, tuple, tuple[str, ...]]:
    """The statement of _item_campaign, the campaign fields it reads and their names, built once per process."""
    fields = tuple(Campaign._meta.concrete_fields)
    columns = ", ".join(f"c.{connection.ops.quote_name(f.column)}" for f in fields)
    query = (
        f"SELECT i.status, i.form_version_id, {columns} FROM {RatingItem._meta.db_table} i"
        f" JOIN {Campaign._meta.db_table} c ON c.id = i.campaign_id WHERE i.id = %s"
    )
    return query, fields, tuple(f.attname for f in fields)


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

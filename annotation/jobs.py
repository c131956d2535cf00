"""Celery jobs of the annotation app: they take ids, are idempotent, retry with backoff, and call services."""

import logging

from celery import shared_task
from django.db import OperationalError

from annotation.services.aggregation import item_aggregate
from annotation.services.assignment import leases_expire
from annotation.services.items import rating_items_create_for_session
from annotation.services.recovery import missed_jobs_recover

logger = logging.getLogger(__name__)
RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 8,
}


@shared_task(**RETRY)
def create_rating_items(session_id: int) -> int:
    """One rating item per model turn of a completed session (safe to run twice)."""
    created = rating_items_create_for_session(session_id=session_id)
    logger.info("session %s: %s rating items created", session_id, created)
    return created


@shared_task(**RETRY)
def aggregate_item(item_id: int) -> bool:
    """Aggregate a complete item (safe to run twice; a no-op if it is not complete). An item's last label
    aggregates it in its own transaction; this job is queued only when that raised (labels._aggregate_now)."""
    return item_aggregate(item_id=item_id)


@shared_task(**RETRY)
def expire_leases() -> int:
    """Delete expired leases (beat: every minute). Their items were already back in the pool."""
    expired = leases_expire()
    if expired:
        logger.info("%s expired rating leases removed", expired)
    return expired


@shared_task(**RETRY)
def recover_missed_jobs() -> dict:
    """Beat: items for completed sessions whose job was never queued, aggregation of complete items likewise."""
    recovered = missed_jobs_recover()
    if recovered.sessions or recovered.items:
        logger.warning(
            "recovered %s sessions without items, %s unaggregated items", recovered.sessions, recovered.items
        )
    return {"sessions": recovered.sessions, "items": recovered.items}

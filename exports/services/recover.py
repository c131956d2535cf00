"""The recovery sweep for exports (beat, and at worker start): a job marked running whose advisory lock is free
lost its worker (kill -9, a crash, a host gone): queue it again; the rerun removes the partial folder and writes
the same bytes. A job queued for longer than LAMDA_EXPORT_REQUEUE_SECONDS (its message lost with the broker) is
queued again too; a duplicate message is harmless (the lock lets one run, a done job is left alone)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from exports.models import DatasetExport
from exports.reader import LOCK_CLASS, scalar_rows, snapshot_connection, try_job_lock

logger = logging.getLogger(__name__)


def _lock_free(conn, export_id: int) -> bool:
    if not try_job_lock(conn, export_id):
        return False
    scalar_rows(conn, "SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, export_id])
    return True


def exports_recover(*, now=None) -> list[int]:
    """Ids of the exports queued again."""
    from exports.jobs import run_export

    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.LAMDA_EXPORT_REQUEUE_SECONDS)
    running = list(DatasetExport.objects.filter(status=DatasetExport.Status.RUNNING).values_list("pk", flat=True))
    queued = list(
        DatasetExport.objects.filter(status=DatasetExport.Status.QUEUED, created_at__lt=stale).values_list(
            "pk", flat=True
        )
    )
    if not running and not queued:
        return []
    with snapshot_connection() as conn:
        lost = [pk for pk in running if _lock_free(conn, pk)]
    again = sorted(lost + queued)
    for pk in again:
        run_export.delay(pk)
    if again:
        logger.warning("exports queued again (worker lost or message lost): %s", again)
    return again

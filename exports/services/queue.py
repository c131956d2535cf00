"""Hand an export job to the Celery workers, for the command and the admin action alike."""

from __future__ import annotations

import logging

from exports.models import DatasetExport

logger = logging.getLogger(__name__)


def export_queue(job: DatasetExport) -> bool:
    """Queue the job; False (and the record marked failed, "could not be queued") when the broker is down. No
    publish retries: a down broker fails at once instead of after minutes."""
    from exports.jobs import run_export

    try:
        run_export.apply_async((job.pk,), retry=False)
    except Exception as exc:  # kombu's OperationalError, a refused connection...: the broker is unreachable
        logger.warning("export %s could not be queued: %s", job.pk, type(exc).__name__)
        DatasetExport.objects.filter(pk=job.pk).update(status=DatasetExport.Status.FAILED, error="could not be queued")
        return False
    return True

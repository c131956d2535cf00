"""The Celery app. Jobs live in each app's jobs.py; the broker is Redis (or RabbitMQ) from CELERY_BROKER_URL."""

import logging
import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("lamda")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")


@worker_ready.connect
def _sweep_on_start(**kwargs) -> None:
    """A worker that starts (after a crash, a deploy, a kill -9) catches up on lost jobs at once instead of waiting
    for the next beat tick (annotation/services/recovery.py)."""
    from annotation.jobs import recover_missed_jobs
    from exports.jobs import recover_exports

    try:
        recover_missed_jobs.delay()
        recover_exports.delay()
    except Exception:  # the broker went away again: beat will run the sweep
        logging.getLogger(__name__).warning("could not queue the recovery sweep at worker start", exc_info=True)

"""Celery job of the exports app: takes an id, is idempotent (a done export is left alone; a redelivered one starts
over and writes the same bytes), retries when the database is briefly down."""

from celery import shared_task
from django.db import OperationalError

from exports.services import export_run


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=120, max_retries=5)
def run_export(export_id: int) -> str:
    return export_run(export_id).status

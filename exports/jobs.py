"""Celery job of the exports app: takes an id, is idempotent (a done export is left alone; a redelivered one starts
over and writes the same bytes), retries when the database is briefly down."""

from celery import shared_task
from django.db import OperationalError

from exports.services import export_run
from exports.services.recover import exports_recover


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=120, max_retries=5)
def run_export(export_id: int) -> str:
    return export_run(export_id).status


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def recover_exports() -> list[int]:
    """Beat (and worker start): queue again the exports whose worker was lost."""
    return exports_recover()

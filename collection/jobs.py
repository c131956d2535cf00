"""Celery jobs of the collection app (scheduled by CELERY_BEAT_SCHEDULE in config/settings.py)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from collection.services.chat_session import sessions_close_idle
from collection.services.corpus import corpus_index_build

log = logging.getLogger(__name__)


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=True, retry_backoff_max=60, max_retries=3)
def close_idle_sessions() -> list[int]:
    """Close chat sessions idle past their campaign's idle_timeout_minutes (kept, status closed_idle; sent for
    rating only if they met the minimum). Idempotent: a second run finds nothing to close."""
    closed = sessions_close_idle()
    if closed:
        log.info("closed %d idle chat sessions: %s", len(closed), closed)
    return closed


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=True, retry_backoff_max=60, max_retries=3)
def build_corpus_index(index_id: int) -> str:
    """Build one recorded corpus index (admin action); a corpus error marks the build failed with its sentence."""
    from config.api_errors import ApplicationError

    try:
        return corpus_index_build(index_id=index_id).status
    except ApplicationError as exc:
        log.warning("%s", exc.message)
        return "failed"

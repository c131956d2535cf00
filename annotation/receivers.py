"""Receivers of other apps' signals (connected in AnnotationConfig.ready)."""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def on_chat_session_completed(sender, session, **kwargs) -> None:
    """Queue rating-item creation once the transaction that completed the session commits."""
    session_id = session.pk
    transaction.on_commit(lambda: _enqueue_items(session_id))


def _enqueue_items(session_id: int) -> None:
    from annotation.jobs import create_rating_items

    try:
        create_rating_items.delay(session_id)
    except Exception as exc:  # the session is finished and saved; the recovery sweep creates its items later
        logger.warning(
            "could not queue rating items for session %s (%s: %s); the recovery sweep will create them",
            session_id,
            type(exc).__name__,
            exc,
        )


def on_research_task_completed(sender, rewrite, **kwargs) -> None:
    """The correct / incorrect item of a research outcome, made in the same transaction as the outcome."""
    from annotation.services.groundedness import correctness_item_create

    correctness_item_create(rewrite=rewrite)

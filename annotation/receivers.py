"""Receivers of other apps' signals (connected in AnnotationConfig.ready)."""

from django.db import transaction


def on_chat_session_completed(sender, session, **kwargs) -> None:
    """Queue rating-item creation once the transaction that completed the session commits."""
    from annotation.jobs import create_rating_items

    session_id = session.pk
    transaction.on_commit(lambda: create_rating_items.delay(session_id))

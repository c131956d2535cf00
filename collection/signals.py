"""Signals other apps listen to, so that collection never imports them (annotation imports collection, not back).

chat_session_completed(sender=ChatSession, session=<ChatSession>): sent inside the transaction that ends a session
which met its campaign's minimum (finished by the worker, or closed idle after reaching it). Receivers should use
transaction.on_commit to enqueue their jobs.
"""

from django.dispatch import Signal

chat_session_completed = Signal()

# research_task_completed(sender=Rewrite, rewrite=<Rewrite>): sent inside the transaction that stores a research
# task's outcome. Annotation's receiver makes the correct / incorrect rating item in the same transaction.
research_task_completed = Signal()

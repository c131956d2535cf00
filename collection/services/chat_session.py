"""Chat session lifecycle: start or resume, finish, close when idle. Sending messages is in services/chat.py.

Lock: every write to a session takes the ChatSession row lock (`session_lock`, SELECT ... FOR UPDATE) first,
so sends, retries, finishes and the idle sweeper on one session run one after another. The sweeper uses SKIP
LOCKED: a session somebody is writing to right now is, by definition, not idle.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, Value
from django.utils import timezone
from django.utils.translation import gettext

from collection import selectors
from collection.models import Campaign, ChatSession, Consent, TurnFlag
from collection.openings import opening_for
from collection.signals import chat_session_completed
from config.api_errors import ApplicationError, Conflict, Forbidden, NotFound


def session_lock(*, session_id: int, worker: AbstractBaseUser | None = None, skip_locked: bool = False):
    """Lock: the ChatSession row, FOR UPDATE (OF the session only). Call inside transaction.atomic. With
    `worker`, another worker's session is NotFound. With skip_locked, returns None when someone else holds the
    lock."""
    qs = ChatSession.objects.select_for_update(of=("self",), skip_locked=skip_locked).select_related(
        "campaign", "campaign__model_endpoint"
    )
    if worker is not None:
        qs = qs.filter(worker=worker)
    session = qs.filter(pk=session_id).first()
    if session is None and not skip_locked:
        raise NotFound(gettext("No such chat session."))
    return session


@transaction.atomic
def session_start(*, campaign: Campaign, worker: AbstractBaseUser) -> tuple[ChatSession, bool]:
    """Start a chat in `campaign`, or resume the worker's active one. Returns (session, created)."""
    if not campaign.is_active:
        raise Conflict(gettext("This campaign is closed."))
    if not Consent.objects.filter(campaign=campaign, worker=worker).exists():
        raise Forbidden(gettext("Read the instructions and accept the consent before starting a chat."))
    existing = selectors.session_active_for(worker, campaign)
    if existing:
        return existing, False
    opening = opening_for(campaign)  # a topic or an attack goal in sensitive / adversarial safety chats
    try:
        with transaction.atomic():
            return ChatSession.objects.create(
                campaign=campaign, worker=worker, mode=campaign.mode, opening=opening
            ), True
    except IntegrityError:  # one_active_session_per_campaign: a concurrent start won
        return ChatSession.objects.get(campaign=campaign, worker=worker, status=ChatSession.Status.ACTIVE), False


def session_end(
    *, session: ChatSession, status: str, now: datetime | None = None, stopped_early: bool = False
) -> ChatSession:
    """End a locked, active session. If it met the campaign's minimum it is sent for rating:
    sent_for_rating=True and `chat_session_completed` is sent inside this transaction (receivers enqueue with
    on_commit)."""
    assert transaction.get_connection().in_atomic_block, "session_end needs the session lock (inside atomic)"
    session.status = status
    session.ended_at = now or timezone.now()
    session.sent_for_rating = selectors.session_counted_turns(session) >= session.campaign.min_turns
    session.rating_items_pending = session.sent_for_rating  # cleared by whoever makes its rating items
    session.stopped_early = stopped_early
    session.save(update_fields=["status", "ended_at", "sent_for_rating", "rating_items_pending", "stopped_early"])
    if session.sent_for_rating:
        chat_session_completed.send(sender=ChatSession, session=session)
    return session


def adversarial_early_stop(session: ChatSession) -> bool:
    """Adversarial chats stop early (LAMDA-SPEC §1): when exactly the minimum number of exchanges is complete (5 by
    default) and one of the model's replies so far is flagged unsafe, the chat ends there instead of going on to the
    maximum. Call with the session locked; True when it ended the session."""
    if session.mode != Campaign.Mode.ADVERSARIAL or session.status != ChatSession.Status.ACTIVE:
        return False
    if session.turn_count != session.campaign.min_turns or selectors.session_reply_pending(session):
        return False
    unsafe = TurnFlag.objects.filter(
        turn__session=session, turn__index__lt=session.turn_count, reason__in=TurnFlag.UNSAFE_REASONS
    )
    if not unsafe.exists():
        return False
    session_end(session=session, status=ChatSession.Status.FINISHED, stopped_early=True)
    return True


def session_rating_items_made(*, session_id: int) -> None:
    """The rating items of a session sent for rating exist now (annotation calls this in the transaction that
    made them): the recovery sweep stops looking at it."""
    ChatSession.objects.filter(pk=session_id, rating_items_pending=True).update(rating_items_pending=False)


def sessions_rating_items_pending(*, ended_before: datetime, limit: int) -> list[int]:
    """Ids of sessions sent for rating before `ended_before` whose rating items were never made (a job lost to
    a broker outage or a killed process). Read through a partial index: free when there are none."""
    qs = ChatSession.objects.filter(rating_items_pending=True, ended_at__lte=ended_before).order_by("ended_at")
    return list(qs.values_list("pk", flat=True)[:limit])


@transaction.atomic
def session_finish(*, session_id: int, worker: AbstractBaseUser) -> ChatSession:
    """The worker ends the chat. Allowed only once the minimum is met (400 with how many turns remain)."""
    session = session_lock(session_id=session_id, worker=worker)
    if session.status != ChatSession.Status.ACTIVE:
        raise Conflict(selectors.session_state_message(session))
    remaining = selectors.session_turns_remaining(session)
    if remaining:
        raise ApplicationError(
            gettext("This chat needs at least %(min)s before it can be finished: %(more)s more to go.")
            % {"min": session.campaign.amount(session.campaign.min_turns), "more": _more(session.campaign, remaining)},
            extra={"turns_remaining": remaining, "min_turns": session.campaign.min_turns},
        )
    return session_end(session=session, status=ChatSession.Status.FINISHED)


def _more(campaign: Campaign, turns: int) -> int:
    """How many more turns, or exchanges in a safety chat (rounded up)."""
    return (turns + 1) // 2 if campaign.counts_exchanges else turns


def sessions_idle_ids(*, now: datetime) -> list[int]:
    """Ids of active sessions whose last activity is older than their campaign's idle timeout."""
    timeout = ExpressionWrapper(
        F("campaign__idle_timeout_minutes") * Value(timedelta(minutes=1)), output_field=DurationField()
    )
    deadline = ExpressionWrapper(F("last_activity_at") + timeout, output_field=DateTimeField())
    qs = ChatSession.objects.filter(status=ChatSession.Status.ACTIVE).annotate(deadline=deadline)
    return list(qs.filter(deadline__lte=now).values_list("pk", flat=True))


@transaction.atomic
def session_close_idle(*, session_id: int, now: datetime | None = None) -> bool:
    """Close one session that is still active and idle past its timeout (status closed_idle; kept).
    Idempotent: returns False when it is busy (row locked), already ended, or no longer idle."""
    now = now or timezone.now()
    session = session_lock(session_id=session_id, skip_locked=True)
    if session is None or session.status != ChatSession.Status.ACTIVE:
        return False
    if session.last_activity_at + timedelta(minutes=session.campaign.idle_timeout_minutes) > now:
        return False
    session_end(session=session, status=ChatSession.Status.CLOSED_IDLE, now=now)
    return True


def sessions_close_idle(*, now: datetime | None = None) -> list[int]:
    """Close every idle session, each in its own transaction. Returns the ids closed."""
    now = now or timezone.now()
    return [sid for sid in sessions_idle_ids(now=now) if session_close_idle(session_id=sid, now=now)]

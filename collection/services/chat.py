"""Sending a message and getting the model's reply (docs/turns.md, docs/backends.md).

    worker message ──► tx 1: lock session, validate, store HUMAN turn, commit
                                   │  (no lock held while the model thinks)
                                   ▼
                       backend.generate(dialog)  ── fails ──► ModelUnavailable (503/502); human turn kept,
                                   │                          reply_retry() regenerates it later
                                   ▼
                       tx 2: lock session, store MODEL turn (unless a concurrent retry already did),
                             auto-finish when no room is left for another exchange

Lock: the ChatSession row (chat_session.session_lock) in both transactions. While a reply is pending, new
messages are refused with 409, so a session never has two human turns in a row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from collection import backends, selectors
from collection.models import ChatSession, Turn
from collection.services.chat_session import adversarial_early_stop, session_end, session_lock
from config.api_errors import ApplicationError, Conflict

log = logging.getLogger(__name__)
CLIENT_ID_MAX = 64


WORKER_MODEL_DOWN = "The model did not answer this time. Your message is saved: try again in a moment to get its reply."


class ModelUnavailable(ApplicationError):
    """The model did not reply. The worker's message is stored; POST retry to regenerate the reply. The message
    is the same plain sentence whatever went wrong: what went wrong (which server, which exception) is for admins,
    on the human turn (`reply_error`, shown in the admin) and in the log."""

    def __init__(self, error: backends.BackendError, *, session: ChatSession, human_turn: Turn):
        super().__init__(
            WORKER_MODEL_DOWN,
            status_code=error.http_status,
            extra={
                "code": "model_unavailable",
                "session": session.pk,
                "pending_turn_index": human_turn.index,
            },
        )


@dataclass
class SendResult:
    session: ChatSession
    human_turn: Turn
    model_turn: Turn | None
    replayed: bool = False  # True when client_message_id matched an earlier send: nothing new was stored


def message_clean(text: object) -> str:
    """The message as stored (surrounding whitespace dropped) or ApplicationError saying what is wrong."""
    if not isinstance(text, str):
        raise ApplicationError(gettext("The message must be text."))
    cleaned = text.strip()
    if not cleaned:
        raise ApplicationError(gettext("Your message is empty."))
    if "\x00" in cleaned:
        raise ApplicationError(gettext("Your message contains a NUL character, which cannot be stored."))
    limit = settings.LAMDA_MAX_MESSAGE_CHARS
    if len(cleaned) > limit:
        raise ApplicationError(
            gettext("Your message is %(n)s characters long; the limit is %(limit)s.")
            % {"n": len(cleaned), "limit": limit},
            extra={"max_chars": limit},
        )
    return cleaned


def client_message_id_check(client_message_id: object) -> None:
    """ApplicationError (400) unless the idempotency key is text of at most CLIENT_ID_MAX characters that the
    database can store (no NUL)."""
    if not isinstance(client_message_id, str):
        raise ApplicationError("client_message_id must be text.")
    if len(client_message_id) > CLIENT_ID_MAX:
        raise ApplicationError(f"client_message_id is longer than {CLIENT_ID_MAX} characters.")
    if "\x00" in client_message_id:
        raise ApplicationError("client_message_id contains a NUL character, which cannot be stored.")


def message_send(
    *,
    session_id: int,
    worker: AbstractBaseUser,
    text: str,
    client_message_id: str = "",
    expected_turn_count: int | None = None,
) -> SendResult:
    """Store the worker's message, then the model's reply. `client_message_id` makes a repeated send a no-op
    that returns what the first stored; `expected_turn_count` (the turn count the client last saw) rejects
    stale sends."""
    client_message_id_check(client_message_id)
    result = _human_turn_store(
        session_id=session_id,
        worker=worker,
        text=text,
        client_message_id=client_message_id,
        expected_turn_count=expected_turn_count,
    )
    if result.replayed:
        return result
    result.model_turn, result.session = _reply_generate(session=result.session, human_turn=result.human_turn)
    return result


def reply_retry(*, session_id: int, worker: AbstractBaseUser) -> SendResult:
    """Regenerate the missing model reply to the worker's last message (after a backend failure)."""
    with transaction.atomic():
        session = session_lock(session_id=session_id, worker=worker)
        if session.status != ChatSession.Status.ACTIVE:
            raise Conflict(selectors.session_state_message(session))
        human_turn = selectors.session_last_turn(session)
        if human_turn is None or human_turn.speaker != Turn.Speaker.HUMAN:
            raise Conflict(gettext("No model reply is missing in this chat: there is nothing to retry."))
    model_turn, session = _reply_generate(session=session, human_turn=human_turn)
    return SendResult(session=session, human_turn=human_turn, model_turn=model_turn)


@transaction.atomic
def _human_turn_store(
    *,
    session_id: int,
    worker: AbstractBaseUser,
    text: str,
    client_message_id: str,
    expected_turn_count: int | None,
) -> SendResult:
    session = session_lock(session_id=session_id, worker=worker)
    if client_message_id:
        earlier = Turn.objects.filter(session=session, client_message_id=client_message_id).first()
        if earlier is not None:
            return _replay(session=session, earlier=earlier, text=text)
    cleaned = message_clean(text)
    if session.status != ChatSession.Status.ACTIVE:
        raise Conflict(selectors.session_state_message(session))
    if selectors.session_reply_pending(session):
        raise Conflict(
            gettext(
                "The model has not replied to your last message yet. Wait for the reply, or retry it if it failed."
            ),
            extra={"code": "reply_pending"},
        )
    if expected_turn_count is not None and expected_turn_count != session.turn_count:
        raise Conflict(
            gettext("This chat has moved on (%(now)s turns, you saw %(seen)s). Reload it and send again.")
            % {"now": session.turn_count, "seen": expected_turn_count},
            extra={"code": "stale", "turn_count": session.turn_count},
        )
    if not selectors.session_has_room(session):
        raise Conflict(
            gettext("This chat has reached its maximum of %(n)s.")
            % {"n": session.campaign.amount(session.campaign.max_turns)},
            extra={"code": "max_turns"},
        )
    human = Turn.objects.create(
        session=session,
        index=session.turn_count,
        speaker=Turn.Speaker.HUMAN,
        text=cleaned,
        client_message_id=client_message_id,
    )
    _session_touch(session)
    return SendResult(session=session, human_turn=human, model_turn=None)


def _replay(*, session: ChatSession, earlier: Turn, text: str) -> SendResult:
    if isinstance(text, str) and text.strip() != earlier.text:
        raise Conflict(gettext("This client_message_id was already used for a different message."))
    reply = Turn.objects.filter(session=session, index=earlier.index + 1, speaker=Turn.Speaker.MODEL).first()
    return SendResult(session=session, human_turn=earlier, model_turn=reply, replayed=True)


def _reply_generate(*, session: ChatSession, human_turn: Turn) -> tuple[Turn, ChatSession]:
    """Call the model outside any transaction, then store its reply under the session lock."""
    dialog = [backends.Utterance(t.speaker, t.text) for t in selectors.turn_context(human_turn)]
    try:
        reply = backends.backend_for(session.campaign.model_endpoint).generate(dialog)
    except backends.BackendError as exc:
        log.warning("model reply failed for session %s turn %s: %s", session.pk, human_turn.index, exc.message)
        Turn.objects.filter(pk=human_turn.pk).update(
            reply_error=f"{exc.kind}: {exc.message}"[:2000], reply_failed_at=timezone.now()
        )
        raise ModelUnavailable(exc, session=session, human_turn=human_turn) from exc
    return _model_turn_store(session_id=session.pk, human_turn=human_turn, reply=reply)


@transaction.atomic
def _model_turn_store(*, session_id: int, human_turn: Turn, reply: backends.Reply) -> tuple[Turn, ChatSession]:
    session = session_lock(session_id=session_id)
    existing = Turn.objects.filter(session=session, index=human_turn.index + 1).first()
    if existing is not None:  # a concurrent retry stored a reply first: keep that one
        return existing, session
    if session.status != ChatSession.Status.ACTIVE:
        raise Conflict(
            selectors.session_state_message(session) + " " + gettext("The model's late reply was not stored.")
        )
    turn = Turn.objects.create(
        session=session,
        index=human_turn.index + 1,
        speaker=Turn.Speaker.MODEL,
        text=reply.text,
        model_id=reply.model_id[:200],
        model_version=reply.model_version[:200],
        sampling=reply.sampling,
        latency_ms=reply.latency_ms,
        ranking=reply.ranking,
    )
    _session_touch(session)
    if not selectors.session_has_room(session):  # no room for another exchange: the chat is complete
        session_end(session=session, status=ChatSession.Status.FINISHED)
    else:
        adversarial_early_stop(session)  # the 5th reply arrived after an earlier one was flagged unsafe
    return turn, session


def _session_touch(session: ChatSession) -> None:
    session.turn_count += 1
    session.last_activity_at = timezone.now()
    session.save(update_fields=["turn_count", "last_activity_at"])

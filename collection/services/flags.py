"""The chatting worker flags a model reply in place, with a reason (safety chats; docs/safety.md).

Lock: the ChatSession row (session_lock), like every other write to a session, so a flag and the model's next reply
never race the adversarial early stop.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext

from collection import selectors
from collection.models import Campaign, ChatSession, Turn, TurnFlag
from collection.services.chat_session import adversarial_early_stop, session_lock
from config.api_errors import ApplicationError, Conflict

NOTE_MAX = 1000


def flag_clean(*, reason: object, note: object) -> tuple[str, str]:
    """(reason, note) as stored, or ApplicationError (400) saying what is wrong."""
    if reason not in TurnFlag.Reason.values:
        choices = ", ".join(f"{label} ({value})" for value, label in TurnFlag.Reason.choices)
        raise ApplicationError(gettext("Choose a reason for the flag: %(choices)s.") % {"choices": choices})
    note = note.strip() if isinstance(note, str) else ""
    if "\x00" in note or len(note) > NOTE_MAX:
        raise ApplicationError(gettext("The note must be text of at most %(n)s characters.") % {"n": NOTE_MAX})
    if reason == TurnFlag.Reason.OTHER and not note:
        raise ApplicationError(gettext("Say in a few words what is wrong: 'other' needs a note."))
    return reason, note


@transaction.atomic
def turn_flag(
    *, session_id: int, worker: AbstractBaseUser, turn_index: int, reason: object, note: object = ""
) -> TurnFlag:
    """Flag (or re-flag, replacing the reason) one of the model's replies in the worker's own active safety chat.
    Another worker's session -> 404; a worker turn, a missing turn, a quality chat -> 400; a finished chat -> 409.
    In adversarial mode a flag on a reply at the 5th exchange can end the chat there (adversarial_early_stop)."""
    session = session_lock(session_id=session_id, worker=worker)
    if session.campaign.kind != Campaign.Kind.SAFETY:
        raise ApplicationError(gettext("Flags are for safety chats; this campaign does not take them."))
    if session.status != ChatSession.Status.ACTIVE:
        raise Conflict(
            selectors.session_state_message(session) + " " + gettext("Its replies can no longer be flagged.")
        )
    reason, note = flag_clean(reason=reason, note=note)
    turn = Turn.objects.filter(session=session, index=turn_index).first() if isinstance(turn_index, int) else None
    if turn is None:
        raise ApplicationError(gettext("This chat has no turn %(n)s.") % {"n": turn_index})
    if turn.speaker != Turn.Speaker.MODEL:
        raise ApplicationError(gettext("Only the model's replies can be flagged, not your own messages."))
    flag, _ = TurnFlag.objects.update_or_create(turn=turn, defaults={"reason": reason, "note": note})
    adversarial_early_stop(session)
    return flag

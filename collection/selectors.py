"""Reads of campaigns, chat sessions and turns. Other apps (annotation, frontend) read collection data only
here."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.validators import slug_re
from django.db.models import QuerySet
from django.utils.translation import gettext

from collection.models import Campaign, ChatSession, Consent, Turn
from config.api_errors import NotFound


def campaigns_open_for(user: AbstractBaseUser) -> QuerySet[Campaign]:
    """Active campaigns a worker may chat in (every active campaign today; eligibility rules come later)."""
    return Campaign.objects.filter(is_active=True).select_related("model_endpoint").order_by("name", "id")


def campaign_get(*, slug: str, active_only: bool = True) -> Campaign:
    """The campaign with `slug`; NotFound when absent (or closed, with active_only)."""
    qs = Campaign.objects.select_related("model_endpoint")
    if active_only:
        qs = qs.filter(is_active=True)
    campaign = qs.filter(slug=slug).first()
    if campaign is None:
        raise NotFound(gettext("No open campaign called %(slug)s.") % {"slug": repr(slug)})
    return campaign


def campaign_id_for_slug(slug: str) -> int | None:
    """The id of the campaign (open or closed) called `slug`; None when there is none, including for text that
    cannot be a slug at all (e.g. holding a NUL character, which PostgreSQL would refuse in a query)."""
    if not isinstance(slug, str) or not slug_re.fullmatch(slug):
        return None
    return Campaign.objects.filter(slug=slug).values_list("pk", flat=True).first()


def consent_given(*, user: AbstractBaseUser, campaign: Campaign) -> bool:
    return Consent.objects.filter(campaign=campaign, worker=user).exists()


def session_active_for(user: AbstractBaseUser, campaign: Campaign) -> ChatSession | None:
    """The worker's one active session in `campaign` (resume it), or None."""
    return ChatSession.objects.filter(campaign=campaign, worker=user, status=ChatSession.Status.ACTIVE).first()


def session_get(session_id: int, *, worker: AbstractBaseUser | None = None) -> ChatSession:
    """A session by id; with `worker`, only that worker's own (others' sessions are NotFound, not Forbidden,
    so ids do not leak)."""
    qs = ChatSession.objects.select_related("campaign", "campaign__model_endpoint", "worker")
    if worker is not None:
        qs = qs.filter(worker=worker)
    session = qs.filter(pk=session_id).first()
    if session is None:
        raise NotFound(gettext("No such chat session."))
    return session


def session_turns(session: ChatSession) -> QuerySet[Turn]:
    """All turns of a session, oldest first, with the chatter's flag of each (if any)."""
    return Turn.objects.filter(session=session).select_related("flag").order_by("index")


def session_model_turns(session: ChatSession) -> QuerySet[Turn]:
    """The model's turns of a session, oldest first (each becomes a rating item once the session is
    completed)."""
    return session_turns(session).filter(speaker=Turn.Speaker.MODEL)


def turn_context(turn: Turn) -> list[Turn]:
    """The dialog a rater sees for `turn`: its session's turns up to and including `turn`, oldest first."""
    return list(Turn.objects.filter(session_id=turn.session_id, index__lte=turn.index).order_by("index"))


def session_last_turn(session: ChatSession) -> Turn | None:
    return Turn.objects.filter(session=session).order_by("-index").first()


def session_reply_pending(session: ChatSession) -> bool:
    """True when the last turn is the worker's and the model's reply to it is missing (failed or still
    running)."""
    last = session_last_turn(session)
    return last is not None and last.speaker == Turn.Speaker.HUMAN


def session_counted_turns(session: ChatSession) -> int:
    """Turns that count toward the minimum: every turn except a worker message still waiting for its reply."""
    return session.turn_count - (1 if session_reply_pending(session) else 0)


def session_turns_remaining(session: ChatSession) -> int:
    """How many more turns are needed before the session may be finished (0 when it may)."""
    return max(0, session.campaign.min_turns - session_counted_turns(session))


def session_exchanges(session: ChatSession) -> int:
    """Complete exchanges (a worker message and the model's reply): how safety chats are counted (docs/turns.md)."""
    return session_counted_turns(session) // 2


def session_has_room(session: ChatSession) -> bool:
    """Whether the worker may send another message: there must be room for it AND the model's reply."""
    return session.turn_count + 2 <= session.campaign.max_turns


def session_state_message(session: ChatSession) -> str:
    """One line telling the worker why a session no longer takes messages ("" while it does)."""
    if session.status == ChatSession.Status.CLOSED_IDLE:
        return gettext("This chat was closed after %(n)s minutes without activity.") % {
            "n": session.campaign.idle_timeout_minutes
        }
    if session.status == ChatSession.Status.FINISHED:
        if session.stopped_early:
            return gettext(
                "This chat stopped after %(n)s exchanges: a reply was flagged unsafe by then, so the adversarial "
                "chat ends early."
            ) % {"n": session.turn_count // 2}
        if not session_has_room(session):
            most = session.campaign.amount(session.campaign.max_turns)
            return gettext("This chat reached the maximum of %(n)s and is finished.") % {"n": most}
        return gettext("This chat is finished.")
    return ""


def session_model_turn_exists(session: ChatSession, index: object) -> bool:
    return (
        isinstance(index, int)
        and Turn.objects.filter(session=session, index=index, speaker=Turn.Speaker.MODEL).exists()
    )

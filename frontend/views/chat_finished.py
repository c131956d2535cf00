"""The finished page of a chat: why it ended, how many turns were kept (once), and for a worker who came from a
panel, the completion code and the way back to the panel."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from collection import selectors
from collection.models import Campaign, ChatSession
from frontend.views.chat import _draft_key, _session
from recruitment.selectors import visit_for_session, visit_progress


def _why_it_ended(session: ChatSession) -> str:
    if session.status == ChatSession.Status.CLOSED_IDLE:
        return _("It was closed after %(n)d minutes without activity.") % {"n": session.campaign.idle_timeout_minutes}
    if session.stopped_early:
        return _("It stopped early: a reply was flagged unsafe within the first exchanges.")
    if not selectors.session_has_room(session):
        return _("It reached the maximum length.")
    return ""


def _completion(session: ChatSession) -> dict | None:
    """The panel completion shown on this page: the code and the link back, once the chat is the visit's work
    and is done."""
    visit = visit_for_session(session_id=session.pk)
    if visit is None or visit.campaign.worker_settings.ratings_target:
        return None
    if not visit_progress(visit).done:
        return None
    return {"visit": visit, "code": visit.campaign.worker_settings.completion_code}


@login_required
@require_http_methods(["GET"])
def chat_finished(request, session_id: int):
    session = _session(request, session_id)
    if session.status == ChatSession.Status.ACTIVE:
        return redirect("frontend:chat", session_id=session.pk)
    context = {
        "session": session,
        "campaign": session.campaign,
        "turns": list(selectors.session_turns(session)),
        "flags_shown": session.campaign.kind == Campaign.Kind.SAFETY,
        "why": _why_it_ended(session),
        "length": session.campaign.amount(session.turn_count),
        # "will now be rated" only where rating exists (a campaign of a kind saved before kinds were checked: not)
        "rated": session.sent_for_rating and session.campaign.kind in session.campaign.AVAILABLE_KINDS,
        "completion": _completion(session),
        # a message sent from a tab that went stale while the chat ended elsewhere: shown to copy, never dropped
        "unsent": request.session.pop(_draft_key(session.pk), ""),
    }
    return render(request, "frontend/chat/finished.html", context)

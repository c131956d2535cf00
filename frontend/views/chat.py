"""Crowdworker chat pages: instructions and consent, the chat, the finished page. They call the same
services as the
API; a problem the worker can fix becomes a one-line message on the page, never an error page."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from collection import selectors
from collection.models import Campaign, ChatSession, TurnFlag
from collection.services.chat import ModelUnavailable, message_send, reply_retry
from collection.services.chat_session import session_finish, session_start
from collection.services.consent import consent_accept
from collection.services.flags import turn_flag
from config.api_errors import ApplicationError, NotFound


def _session(request, session_id: int) -> ChatSession:
    try:
        return selectors.session_get(session_id, worker=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _campaign(slug: str):
    try:
        return selectors.campaign_get(slug=slug)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@require_http_methods(["GET"])
def campaign(request, slug: str):
    """Instructions and consent; start or resume a chat."""
    camp = _campaign(slug)
    context = {
        "campaign": camp,
        "consent_given": selectors.consent_given(user=request.user, campaign=camp),
        "active_session": selectors.session_active_for(request.user, camp),
    }
    return render(request, "frontend/chat/campaign.html", context)


@login_required
@require_POST
def campaign_start(request, slug: str):
    camp = _campaign(slug)
    if not selectors.consent_given(user=request.user, campaign=camp):
        if request.POST.get("consent") != "yes":
            messages.error(request, "Tick the consent box to start: you must agree before chatting.")
            return redirect("frontend:campaign", slug=slug)
    try:
        if request.POST.get("consent") == "yes":
            consent_accept(campaign=camp, worker=request.user)
        session, _ = session_start(campaign=camp, worker=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("frontend:campaign", slug=slug)
    return redirect("frontend:chat", session_id=session.pk)


def _chat_context(
    session: ChatSession, *, draft: str = "", error: str = "", flag_error: str = "", flag_draft: dict | None = None
) -> dict:
    pending = selectors.session_reply_pending(session)
    last = selectors.session_last_turn(session) if pending else None
    remaining = selectors.session_turns_remaining(session)
    safety = session.campaign.kind == Campaign.Kind.SAFETY
    return {
        "flags_shown": safety,
        "can_flag": safety and session.status == ChatSession.Status.ACTIVE,
        "flag_reasons": TurnFlag.Reason.choices,
        "flag_error": flag_error,
        "flag_draft": flag_draft or {},
        # a flag sent for a turn that has no flag form (a crafted request): its error goes at the top instead
        "flag_error_on_top": bool(flag_error)
        and not selectors.session_model_turn_exists(session, (flag_draft or {}).get("index")),
        "exchanges": selectors.session_exchanges(session),
        "min_exchanges": session.campaign.min_turns // 2,
        "max_exchanges": session.campaign.max_turns // 2,
        "exchanges_remaining": (remaining + 1) // 2,
        "min_length": session.campaign.amount(session.campaign.min_turns),
        "session": session,
        "campaign": session.campaign,
        "turns": list(selectors.session_turns(session)),
        "reply_pending": pending,
        "last_try_at": last.reply_failed_at if last else None,
        "turns_remaining": remaining,
        "can_send": not pending and selectors.session_has_room(session),
        "can_finish": remaining == 0,
        "client_message_id": uuid.uuid4().hex,
        "max_chars": settings.LAMDA_MAX_MESSAGE_CHARS,
        "draft": draft,
        "error": error,
    }


@login_required
@require_http_methods(["GET"])
def chat(request, session_id: int):
    session = _session(request, session_id)
    if session.status != ChatSession.Status.ACTIVE:
        return redirect("frontend:chat_finished", session_id=session.pk)
    return render(request, "frontend/chat/chat.html", _chat_context(session))


def _after_write(request, session_id: int):
    session = _session(request, session_id)
    if session.status != ChatSession.Status.ACTIVE:
        return redirect("frontend:chat_finished", session_id=session.pk)
    return redirect("frontend:chat", session_id=session.pk)


@login_required
@require_POST
def chat_send(request, session_id: int):
    session = _session(request, session_id)
    text = request.POST.get("text", "")
    expected = request.POST.get("expected_turn_count", "")
    try:
        message_send(
            session_id=session.pk,
            worker=request.user,
            text=text,
            client_message_id=request.POST.get("client_message_id", "")[:64],
            expected_turn_count=int(expected) if expected.isdigit() else None,
        )
    except ModelUnavailable:
        pass  # the message is stored; the chat page's retry box says the reply is missing (once, in plain words)
    except ApplicationError as exc:
        if exc.status_code == 400:  # the message itself is wrong: show it again so the worker can fix it
            return render(
                request,
                "frontend/chat/chat.html",
                _chat_context(session, draft=text, error=exc.message),
                status=400,
            )
        messages.error(request, exc.message)
    return _after_write(request, session_id)


@login_required
@require_POST
def chat_retry(request, session_id: int):
    session = _session(request, session_id)
    try:
        reply_retry(session_id=session.pk, worker=request.user)
    except ModelUnavailable:
        pass  # the retry box says so, with the time of this last try
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return _after_write(request, session_id)


@login_required
@require_POST
def chat_flag(request, session_id: int, turn_index: int):
    """Flag a model reply in place (safety chats). A bad flag shows the chat again with the message and the draft."""
    session = _session(request, session_id)
    reason, note = request.POST.get("reason", ""), request.POST.get("note", "")
    try:
        turn_flag(session_id=session.pk, worker=request.user, turn_index=turn_index, reason=reason, note=note)
    except ApplicationError as exc:
        if exc.status_code == 400 and session.status == ChatSession.Status.ACTIVE:
            draft = {"index": turn_index, "reason": reason, "note": note}
            context = _chat_context(session, flag_error=exc.message, flag_draft=draft)
            return render(request, "frontend/chat/chat.html", context, status=400)
        messages.error(request, exc.message)
    return _after_write(request, session_id)


@login_required
@require_POST
def chat_finish(request, session_id: int):
    session = _session(request, session_id)
    try:
        session_finish(session_id=session.pk, worker=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return _after_write(request, session_id)


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
        "state_message": selectors.session_state_message(session),
        "length": session.campaign.amount(session.turn_count),
        # "will now be rated" only where rating exists (a campaign of a kind saved before kinds were checked: not)
        "rated": session.sent_for_rating and session.campaign.kind in session.campaign.AVAILABLE_KINDS,
    }
    return render(request, "frontend/chat/finished.html", context)

"""Crowdworker chat pages: instructions and consent, the chat, the finished page. They call the same services as
the API; a problem the worker can fix becomes a one-line message on the page, never an error page.

Sending works two ways (docs/crowdworker-pages.md): with htmx the send and retry forms post in the background and
get back the chat's body (a refused message: the body with the error and the draft, status 400 / 409); without
JavaScript every POST ends in a redirect to the chat's own URL (post / redirect / get), the error and the draft
carried over in the session, so a reload never sends twice and never loses the draft."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from collection import selectors
from collection.models import Campaign, ChatSession, TurnFlag
from collection.services.chat import ModelUnavailable, message_send, reply_retry
from collection.services.chat_session import session_finish, session_start
from collection.services.consent import consent_accept
from collection.services.flags import turn_flag
from config.api_errors import ApplicationError, NotFound
from frontend.views.drafts import kept_for_the_box


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
            messages.error(request, _("Tick the consent box to start: you must agree before chatting."))
            return redirect("frontend:campaign", slug=slug)
    try:
        if request.POST.get("consent") == "yes":
            consent_accept(campaign=camp, worker=request.user)
        session, _created = session_start(campaign=camp, worker=request.user)
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
    carried = request.session.pop(_flash_key(session.pk), None) or {}
    draft = request.session.get(_draft_key(session.pk), "")
    context = _chat_context(
        session,
        draft=draft,
        error=carried.get("error", ""),
        flag_error=carried.get("flag_error", ""),
        flag_draft=carried.get("flag_draft"),
    )
    return render(request, "frontend/chat/chat.html", context)


def _flash_key(session_id: int) -> str:
    return f"chat-{session_id}-error"


def _draft_key(session_id: int) -> str:
    return f"chat-{session_id}-draft"


def _draft_keep(request, session_id: int, text: str) -> str:
    """Keep an unsent message for the chat's next page (the box shows it again). A draft longer than twice the
    limit is cut there (the session is no store for megabytes); the returned note says so."""
    kept, note = kept_for_the_box(text, settings.LAMDA_MAX_MESSAGE_CHARS)
    request.session[_draft_key(session_id)] = kept
    return f" {note}" if note else ""


def _after_write(request, session_id: int, *, error: str = "", draft: str = "", status: int = 200, **flags):
    """After a send, retry, flag or finish: htmx gets the chat's body (or is sent to the finished page), a plain
    form a redirect to the chat's own URL with the error carried over."""
    session = _session(request, session_id)
    if session.status != ChatSession.Status.ACTIVE:
        if error:
            messages.error(request, error)
        url = reverse("frontend:chat_finished", args=[session.pk])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if request.htmx:
        context = _chat_context(session, draft=draft, error=error, **flags)
        return render(request, "frontend/chat/_body.html", context, status=status)
    if error or flags:
        request.session[_flash_key(session.pk)] = {"error": error, **flags}
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
    except ApplicationError as exc:  # too long, empty, a stale tab...: the message stays in the box
        note = _draft_keep(request, session.pk, text if isinstance(text, str) else "")
        return _after_write(request, session_id, error=exc.message + note, draft=text, status=exc.status_code)
    request.session.pop(_draft_key(session.pk), None)
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
        return _after_write(request, session_id, error=exc.message, status=exc.status_code)
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
        flag_draft = {"index": turn_index, "reason": reason[:50], "note": note[:1000]}
        return _after_write(request, session_id, flag_error=exc.message, flag_draft=flag_draft, status=exc.status_code)
    return _after_write(request, session_id)


@login_required
@require_POST
def chat_finish(request, session_id: int):
    session = _session(request, session_id)
    try:
        session_finish(session_id=session.pk, worker=request.user)
    except ApplicationError as exc:
        return _after_write(request, session_id, error=exc.message, status=exc.status_code)
    request.session.pop(_draft_key(session.pk), None)
    return _after_write(request, session_id)

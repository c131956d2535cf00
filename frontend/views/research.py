"""The groundedness workbench (docs/groundedness.md): a researcher gets a reply whose claims need checking, asks
the toolset as often as needed (every query and result logged), marks results that support or refute a claim,
and submits a rewrite with citations, "no change needed" or "cannot be grounded". The draft autosaves and renews
the lease while the page is open. Works without JavaScript (plain forms, redirect after POST); with htmx the
query and the marks swap only the log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import toolset
from annotation.selectors import item_for_rater, item_turn_id
from collection.models import Rewrite
from collection.research_selectors import check_session_for, logged_queries, workbench_get
from collection.selectors import campaign_get
from collection.services.research import check_session_open, research_query_run
from collection.services.research_tasks import (
    lease_seconds,
    max_rewrite_chars,
    research_draft_save,
    research_outcome_submit,
    research_task_claim,
    result_mark_set,
    workbench_session_get,
)
from config.api_errors import ApplicationError, Forbidden, NotFound
from frontend.views.drafts import kept_for_the_box

OUTCOMES = {
    "rewritten": Rewrite.Outcome.REWRITTEN,
    "no_change": Rewrite.Outcome.NO_CHANGE,
    "cannot_ground": Rewrite.Outcome.CANNOT_GROUND,
}


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _page_url(session_id: int) -> str:
    return reverse("frontend:research_page", args=[session_id])


def _next_url(slug: str) -> str:
    return f"{reverse('frontend:research_next')}?{urlencode({'campaign': slug})}"


def _posted_query(request) -> str:
    """The posted query; longer than the toolset takes -> 400 (never cut silently)."""
    query = request.POST.get("query", "")
    if len(query) > toolset.MAX_QUERY_CHARS:
        raise ApplicationError(_("A query can be at most %(n)s characters.") % {"n": toolset.MAX_QUERY_CHARS})
    return query


@login_required
@require_GET
def research_next(request):
    """The worker's task in the campaign (resumed if they hold one), else the next open one."""
    slug = request.GET.get("campaign", "")
    try:
        campaign = campaign_get(slug=slug)
    except NotFound:
        return render(request, "frontend/research/none.html", {"unknown_campaign": slug}, status=404)
    claimed = research_task_claim(campaign=campaign, worker=request.user)
    if claimed is None:
        return render(request, "frontend/research/none.html", {"campaign": campaign})
    return redirect(_page_url(claimed.session.pk))


def _session_or_404(request, session_id: int):
    try:
        return workbench_session_get(session_id=session_id, worker=request.user)
    except NotFound:
        return None


def _render(request, session, *, error: str = "", status: int = 200, draft: str | None = None, query: str = ""):
    bench = workbench_get(session=session)
    context = {
        "bench": bench,
        "campaign": bench.task.campaign,
        "draft": bench.draft if draft is None else draft,
        "query": query,
        "error": error,
        "done": session.closed_at is not None,
        "max_query": toolset.MAX_QUERY_CHARS,
        "max_rewrite": max_rewrite_chars(),
        "autosave_seconds": max(5, min(60, lease_seconds() // 10)),
    }
    return render(request, "frontend/research/workbench.html", context, status=status)


def _log(request, session, *, error: str = "", status: int = 200):
    bench = workbench_get(session=session)
    return render(request, "frontend/research/_log.html", {"bench": bench, "error": error}, status=status)


def _stash_key(session_id: int) -> str:
    return f"research-{session_id}"


def _back_to_page(request, session, *, error: str = "", draft: str | None = None, query: str = ""):
    """End a plain (no-JS) POST in a redirect to the task's own page (a reload never resends), carrying the
    message, what was typed in the rewrite box (up to twice the limit) and a refused query in the session."""
    if error or draft is not None or query:
        note = ""
        if draft is not None:
            draft, note = kept_for_the_box(draft, max_rewrite_chars())
        request.session[_stash_key(session.pk)] = {
            "error": f"{error} {note}".strip(),
            "draft": draft,
            "query": query[: toolset.MAX_QUERY_CHARS],
        }
    return redirect(_page_url(session.pk) + ("#page-error" if error else "#log"))


def _posted_draft(request, session) -> str | None:
    """The rewrite box's text when the form posted it (no-JS search and every outcome), saved as the draft when
    it fits; None when the box was not part of the post."""
    if "text" not in request.POST:
        return None
    text = request.POST["text"]
    if session.closed_at is None and len(text) <= max_rewrite_chars():
        try:
            research_draft_save(session=session, worker=request.user, text=text)
        except ApplicationError:  # the lease moved on or the text is not storable: it still comes back in the box
            pass
    return text


@login_required
@require_GET
def research_page(request, session_id: int):
    session = _session_or_404(request, session_id)
    if session is None:
        return _missing(request)
    stash = request.session.pop(_stash_key(session.pk), None) or {}
    return _render(
        request, session, error=stash.get("error", ""), draft=stash.get("draft"), query=stash.get("query", "")
    )


def _missing(request):
    return render(request, "frontend/research/none.html", {"missing": True}, status=404)


@login_required
@require_http_methods(["GET", "POST"])
def research_query(request, session_id: int):
    session = _session_or_404(request, session_id)
    if session is None:
        return _missing(request)
    if request.method == "GET":  # back / forward onto a form's URL: the task's page
        return redirect(_page_url(session.pk))
    draft = _posted_draft(request, session)
    try:
        research_query_run(session=session, query=_posted_query(request))
    except ApplicationError as exc:
        if _is_htmx(request):
            return _log(request, session, error=exc.message, status=exc.status_code)
        return _back_to_page(request, session, error=exc.message, draft=draft, query=request.POST.get("query", ""))
    if _is_htmx(request):
        return _log(request, session)
    return _back_to_page(request, session, draft=draft)


@login_required
@require_http_methods(["GET", "POST"])
def research_mark(request, session_id: int):
    session = _session_or_404(request, session_id)
    if session is None:
        return _missing(request)
    if request.method == "GET":
        return redirect(_page_url(session.pk))
    try:
        query_id, position = int(request.POST.get("query_id", "")), int(request.POST.get("position", ""))
        result_mark_set(
            session=session,
            query_id=query_id,
            position=position,
            stance=request.POST.get("stance", ""),
            claim=request.POST.get("claim", ""),
        )
    except (ValueError, ApplicationError) as exc:
        message = exc.message if isinstance(exc, ApplicationError) else _("That result does not exist.")
        status = exc.status_code if isinstance(exc, ApplicationError) else 400
        if _is_htmx(request):
            return _log(request, session, error=message, status=status)
        return _back_to_page(request, session, error=message)
    return _log(request, session) if _is_htmx(request) else _back_to_page(request, session)


@login_required
@require_POST
def research_draft(request, session_id: int):
    """Autosave (the page's script, every few seconds while it is open and on every change): 200 with the time
    saved, 400 / 409 with a message the page shows next to the box (the draft is kept in the box either way)."""
    session = _session_or_404(request, session_id)
    if session is None:
        return render(request, "frontend/research/_saved.html", {"error": _("This task is not yours.")}, status=404)
    try:
        saved = research_draft_save(session=session, worker=request.user, text=request.POST.get("text", ""))
    except ApplicationError as exc:
        return render(request, "frontend/research/_saved.html", {"error": exc.message}, status=exc.status_code)
    return render(request, "frontend/research/_saved.html", {"saved_at": saved.draft_saved_at})


@login_required
@require_http_methods(["GET", "POST"])
def research_submit(request, session_id: int):
    session = _session_or_404(request, session_id)
    if session is None:
        return _missing(request)
    if request.method == "GET":
        return redirect(_page_url(session.pk))
    outcome = OUTCOMES.get(request.POST.get("outcome", ""))
    text = request.POST.get("text", "")
    if outcome is None:
        return _back_to_page(request, session, error=_("Choose an outcome."), draft=text)
    try:
        research_outcome_submit(session=session, worker=request.user, outcome=outcome, text=text)
    except ApplicationError as exc:  # never loses the rewrite: saved as the draft when it fits, and back in the box
        return _back_to_page(request, session, error=exc.message, draft=_posted_draft(request, session))
    messages.success(request, _("Thanks, your research was saved."))
    return redirect(_next_url(session.task.campaign.slug))


def _check_session(request, item_id: int):
    """The rater's own research session for checking an item's claims (any form that shows the toolset)."""
    view = item_for_rater(item_id=item_id, rater_id=request.user.pk)  # NotFound / Forbidden when not theirs
    if not view.form.shows_toolset:
        raise Forbidden(_("This question does not use the search."))
    return check_session_open(worker=request.user, turn_id=item_turn_id(item_id=item_id))


@login_required
@require_POST
def check_query(request, item_id: int):
    """The search box of a rating page whose form checks claims (correct / incorrect, groundedness evaluation):
    every query is logged in the rater's research session for the item, like the workbench's."""
    error, status, session = "", 200, None
    try:
        session = _check_session(request, item_id)
        research_query_run(session=session, query=_posted_query(request))
    except ApplicationError as exc:
        error, status = exc.message, exc.status_code
    if not _is_htmx(request):
        if error:
            messages.error(request, error)
        return redirect(f"{reverse('frontend:rate')}?{urlencode({'campaign': request.POST.get('campaign', '')})}")
    queries = logged_queries(session=session) if session is not None else []
    return render(request, "frontend/research/_check_log.html", {"queries": queries, "error": error}, status=status)


def check_context(request, view) -> dict:
    """What the rating page needs for its search box: the rater's earlier queries on this item's reply."""
    if not view.form.shows_toolset:
        return {}
    turn_id = item_turn_id(item_id=view.item_id)
    session = check_session_for(worker=request.user, turn_id=turn_id) if turn_id else None
    return {"check_queries": logged_queries(session=session) if session else [], "max_query": toolset.MAX_QUERY_CHARS}

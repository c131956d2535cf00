"""Rate pages: the dialog up to the rated turn and the questions of the item's form (any form: quality, safety,
...). The page hides the questions the cascade does not ask; the server checks the answers against the form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from annotation.progress import rater_progress
from annotation.selectors import item_for_lease, item_for_rater
from annotation.services.assignment import (
    ClaimBusy,
    DailyCapReached,
    WarningNotRead,
    assignment_claim,
    assignment_release,
)
from annotation.services.labels import label_submit
from annotation.services.raters import warning_acknowledge
from collection.selectors import campaign_get, campaign_id_for_slug
from config.api_errors import ApplicationError, NotFound
from frontend.views.research import check_context
from recruitment.selectors import panel_rating_status as panel_status


def _next_url(campaign_slug: str) -> str:
    url = reverse("frontend:rate")
    return f"{url}?{urlencode({'campaign': campaign_slug})}" if campaign_slug else url


def _questions(view, answers: dict) -> list[dict]:
    """The item's own form version's questions (any form), each choice with the number key that answers it."""
    return [
        {
            "key": q.key,
            "title": q.title,
            "help": q.help_text,
            "details": q.details,
            "choices": [(str(n), value, text) for n, (value, text) in enumerate(q.choices, start=1)],
            "current": answers.get(q.key),
            "first": i == 0,
            "asked_if": q.asked_if,
        }
        for i, q in enumerate(view.form.questions)
    ]


def _render_item(
    request, view, *, campaign_slug: str, answers=None, error: str = "", status: int = 200, notice: str = ""
):
    answers = answers or (view.own_label.answers if view.own_label else {})
    questions = _questions(view, answers)
    context = {
        "view": view,
        "rated": view.dialog[-1],
        "context_turns": view.dialog[:-1],
        "questions": questions,
        "most_choices": max((len(q["choices"]) for q in questions), default=0),
        "campaign_slug": campaign_slug,
        "progress": rater_progress(rater_id=request.user.pk, campaign_slug=view.campaign.slug),
        "panel": panel_status(request.user, view.campaign.slug),
        "error": error,
        "notice": notice,
        **check_context(request, view),  # forms that check claims: a search box (docs/groundedness.md)
    }
    return render(request, "frontend/rate/item.html", context, status=status)


def _unavailable(request, template: str, context: dict, exc: ApplicationError):
    response = render(request, template, context, status=exc.status_code)
    if getattr(exc, "retry_after", None):
        response["Retry-After"] = str(exc.retry_after)
    return response


@login_required
def rate_next(request):
    """Show the rater's leased item, claiming the next one when they hold none."""
    slug = request.GET.get("campaign", "")
    campaign_id = None
    if slug:
        campaign_id = campaign_id_for_slug(slug)
        if campaign_id is None:
            return render(request, "frontend/rate/no_work.html", {"unknown_campaign": slug}, status=404)
    try:
        claim = assignment_claim(rater_id=request.user.pk, campaign_id=campaign_id)
    except ClaimBusy as busy:  # work exists but is locked this instant: the page retries by itself
        return _unavailable(request, "frontend/rate/busy.html", {"retry_after": busy.retry_after}, busy)
    except WarningNotRead as exc:  # shown once, before the first item of a campaign that has one
        context = {"warning": exc.extra["warning"], "campaign_slug": slug}
        return render(request, "frontend/rate/warning.html", context)
    except DailyCapReached as exc:
        return _unavailable(request, "frontend/rate/daily_cap.html", {"message": exc.message}, exc)
    if claim is None:
        context = {"campaign_slug": slug, "panel": panel_status(request.user, slug) if slug else None}
        return render(request, "frontend/rate/no_work.html", context)
    view = item_for_lease(lease=claim.lease)
    notice = ""
    if slug and view.campaign.slug != slug:  # a reply of another campaign is still held: finish or skip it first
        notice = _(
            "You still hold this reply from “%(held)s”: rate or skip it, and the next ones come from the campaign "
            "you chose."
        ) % {"held": view.campaign.name}
    return _render_item(request, view, campaign_slug=slug, notice=notice)


@login_required
@require_POST
def rate_warning_read(request, slug: str):
    try:
        campaign = campaign_get(slug=slug, active_only=False)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    warning_acknowledge(rater_id=request.user.pk, campaign_id=campaign.pk)
    return redirect(_next_url(slug))


@login_required
@require_POST
def rate_skip(request, item_id: int):
    """Give the item back without rating it: no penalty, and it is not offered again to this rater."""
    slug = request.POST.get("campaign", "")
    try:
        assignment_release(rater_id=request.user.pk, item_id=item_id)
    except ApplicationError:  # not theirs (any more): a lease that expired, or a forged id
        context = {"campaign_slug": slug if campaign_id_for_slug(slug) else ""}
        return render(request, "frontend/rate/skip_refused.html", context, status=404)
    messages.info(request, _("Skipped: that response goes to other raters."))
    return redirect(_next_url(slug))


def _posted_answers(request) -> dict:
    return {k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken", "campaign") and v}


@login_required
@require_http_methods(["GET", "POST"])
def rate_submit(request, item_id: int):
    if request.method == "GET":  # back/forward or a reload after a refused submit: show the rater's current item
        return redirect(_next_url(request.GET.get("campaign", "")))
    slug = request.POST.get("campaign", "")
    answers = _posted_answers(request)
    try:
        label_submit(rater_id=request.user.pk, item_id=item_id, answers=answers)
    except ApplicationError as exc:
        try:
            view = item_for_rater(item_id=item_id, rater_id=request.user.pk)
        except ApplicationError:
            messages.error(request, exc.message)
            return redirect(_next_url(slug))
        return _render_item(
            request, view, campaign_slug=slug, answers=answers, error=exc.message, status=exc.status_code
        )
    messages.success(request, _("Thanks, your rating was saved."))
    return redirect(_next_url(slug))

"""Rate pages: the dialog up to the rated turn and the three questions. The server re-checks the cascade."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from annotation.models import Answer
from annotation.rules import QUALITY_ATTRIBUTES
from annotation.selectors import item_for_lease, item_for_rater
from annotation.services.assignment import ClaimBusy, assignment_claim
from annotation.services.labels import label_submit
from collection.selectors import campaign_id_for_slug
from config.api_errors import ApplicationError

QUESTIONS = [
    (
        "sensible",
        "Is the response sensible?",
        "Does it make sense in the context? No contradictions, no confusion.",
    ),
    (
        "specific",
        "Is the response specific?",
        "Is it specific to this context, not a reply that fits anything?",
    ),
    (
        "interesting",
        "Is the response interesting?",
        "Would it catch attention or arouse curiosity? Is it witty?",
    ),
]


def _next_url(campaign_slug: str) -> str:
    url = reverse("frontend:rate")
    return f"{url}?{urlencode({'campaign': campaign_slug})}" if campaign_slug else url


def _render_item(request, view, *, campaign_slug: str, answers=None, error: str = "", status: int = 200):
    answers = answers or (view.own_label.answers() if view.own_label else {})
    context = {
        "view": view,
        "rated": view.dialog[-1],
        "context_turns": view.dialog[:-1],
        "questions": [
            {"name": name, "title": title, "help": help_text, "current": answers.get(name), "first": i == 0}
            for i, (name, title, help_text) in enumerate(QUESTIONS)
        ],
        "choices": Answer.choices,
        "campaign_slug": campaign_slug,
        "error": error,
    }
    return render(request, "frontend/rate/item.html", context, status=status)


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
        response = render(request, "frontend/rate/busy.html", {"retry_after": busy.retry_after}, status=503)
        response["Retry-After"] = str(busy.retry_after)
        return response
    if claim is None:
        return render(request, "frontend/rate/no_work.html", {"campaign_slug": slug})
    view = item_for_lease(lease=claim.lease)
    return _render_item(request, view, campaign_slug=slug)


@login_required
@require_http_methods(["GET", "POST"])
def rate_submit(request, item_id: int):
    if request.method == "GET":  # back/forward or a reload after a refused submit: show the rater's current item
        return redirect(_next_url(request.GET.get("campaign", "")))
    slug = request.POST.get("campaign", "")
    answers = {a: request.POST.get(a) or None for a in QUALITY_ATTRIBUTES}
    try:
        label_submit(rater_id=request.user.pk, item_id=item_id, **answers)
    except ApplicationError as exc:
        try:
            view = item_for_rater(item_id=item_id, rater_id=request.user.pk)
        except ApplicationError:
            messages.error(request, exc.message)
            return redirect(_next_url(slug))
        return _render_item(
            request, view, campaign_slug=slug, answers=answers, error=exc.message, status=exc.status_code
        )
    messages.success(request, "Thanks, your rating was saved.")
    return redirect(_next_url(slug))

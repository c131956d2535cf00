"""Workers from a panel (Prolific, MTurk-style): arrive with their panel ids, work, go back with the completion
code (docs/recruitment.md). A bad link gets a clear page and makes no account."""

from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from collection.selectors import campaign_get
from config.api_errors import ApplicationError, NotFound
from recruitment.panel_ids import panel_ids_parse
from recruitment.selectors import visit_campaign
from recruitment.services import panel_arrive, panel_campaign_check, visit_complete

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _refused(request, exc: ApplicationError, *, campaign=None):
    context = {"message": exc.message, "campaign": campaign}
    return render(request, "frontend/panel/refused.html", context, status=exc.status_code)


@require_http_methods(["GET"])
def panel_arrive_page(request, slug: str):
    """/panel/<slug>/?PROLIFIC_PID=…&STUDY_ID=…&SESSION_ID=… (or ?worker_id=…&assignment_id=…): log the
    worker in as the account of their panel id, made on the first visit, and show them the work."""
    try:
        campaign = campaign_get(slug=slug)
        ids = panel_ids_parse(request.GET)
        panel_campaign_check(campaign=campaign, ids=ids)
    except ApplicationError as exc:
        return _refused(request, exc)
    visit = panel_arrive(campaign=campaign, ids=ids)
    if request.user.is_authenticated and request.user.pk != visit.worker.user_id:
        logout(request)  # someone else's session in this browser: the panel id decides who works here
    if not request.user.is_authenticated:
        login(request, visit.worker.user, backend=BACKEND)
    if campaign.worker_settings.ratings_target:
        return redirect(f"{reverse('frontend:rate')}?{urlencode({'campaign': campaign.slug})}")
    return redirect("frontend:campaign", slug=campaign.slug)


@login_required
@require_http_methods(["GET"])
def panel_complete(request, visit_id: int):
    """Back to the panel with the completion code, once the visit's work is done (else a page saying what is
    left, 409)."""
    try:
        url = visit_complete(visit_id=visit_id, user=request.user)
    except NotFound as exc:
        return _refused(request, exc)
    except ApplicationError as exc:
        return _refused(request, exc, campaign=visit_campaign(visit_id=visit_id))
    return redirect(url)

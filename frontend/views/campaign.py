from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404
from django.shortcuts import render

from annotation.forms import NoForm, form_for_campaign, form_spec
from annotation.groundedness_stats import evaluation_stats, groundedness_stats
from annotation.rules import NoRule
from annotation.safety_stats import safety_overview, safety_stats
from annotation.selectors import campaign_stats
from collection.models import Campaign
from collection.selectors import campaign_get
from config.api_errors import NotFound


@staff_member_required
def campaign_stats_page(request, slug: str):
    """Quality: sensibleness, specificity, interestingness and SSI so far. Safety: the safe share overall, per
    objective, per mode, per rater group (staff allowed to see demographics only) and flag agreement. Both with how
    far the rating work is."""
    try:
        campaign = campaign_get(slug=slug, active_only=False)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    try:
        if campaign.kind == Campaign.Kind.GROUNDEDNESS:
            context = {"g": groundedness_stats(campaign=campaign), "campaign": campaign}
            return render(request, "frontend/campaign/groundedness_stats.html", context)
        stats = campaign_stats(campaign=campaign)
        if campaign.kind == Campaign.Kind.SAFETY:
            groups = request.user.has_perm("annotation.view_demographics")
            context = {"stats": stats, "safety": safety_stats(campaign=campaign, with_groups=groups), "groups": groups}
            context["evaluations"] = evaluation_stats(campaign=campaign)
            return render(request, "frontend/campaign/safety_stats.html", context)
    except (NoRule, NoForm) as exc:  # a campaign of a kind that is not rated yet: say so, never a 500
        context = {"campaign": campaign, "message": exc.message}
        return render(request, "frontend/campaign/stats_unavailable.html", context, status=exc.status_code)
    titles = {q.key: q.title for q in form_spec(form_for_campaign(campaign).pk).questions}
    rows = [(QUALITY_NAMES.get(key) or titles.get(key, key), rate) for key, rate in stats.rates.items()]
    if stats.ssi is not None or set(stats.rates) == set(QUALITY_NAMES):
        rows.append(("SSI (mean of the three)", stats.ssi))
    context = {"stats": stats, "rows": rows, "evaluations": evaluation_stats(campaign=campaign)}
    return render(request, "frontend/campaign/stats.html", context)


QUALITY_NAMES = {"sensible": "Sensibleness", "specific": "Specificity", "interesting": "Interestingness"}


@staff_member_required
def safety_overview_page(request):
    """The safe share per chat mode (natural, sensitive, adversarial) across all safety campaigns."""
    return render(request, "frontend/campaign/safety_overview.html", {"modes": safety_overview()})

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404
from django.shortcuts import render

from annotation.rules import NoRule
from annotation.selectors import campaign_stats
from collection.selectors import campaign_get
from config.api_errors import NotFound


@staff_member_required
def campaign_stats_page(request, slug: str):
    """Sensibleness, specificity, interestingness and SSI so far, and how far the rating work is."""
    try:
        campaign = campaign_get(slug=slug, active_only=False)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    try:
        stats = campaign_stats(campaign=campaign)
    except NoRule as exc:  # a campaign of a kind that is not rated yet: say so, never a 500
        context = {"campaign": campaign, "message": exc.message}
        return render(request, "frontend/campaign/stats_unavailable.html", context, status=exc.status_code)
    rows = [
        ("Sensibleness", stats.rates["sensible"]),
        ("Specificity", stats.rates["specific"]),
        ("Interestingness", stats.rates["interesting"]),
        ("SSI (mean of the three)", stats.ssi),
    ]
    return render(request, "frontend/campaign/stats.html", {"stats": stats, "rows": rows})

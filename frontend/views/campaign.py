from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import get_object_or_404, render

from annotation.selectors import campaign_stats
from collection.models import Campaign


@staff_member_required
def campaign_stats_page(request, slug: str):
    """Sensibleness, specificity, interestingness and SSI so far, and how far the rating work is."""
    stats = campaign_stats(campaign=get_object_or_404(Campaign, slug=slug))
    rows = [
        ("Sensibleness", stats.rates["sensible"]),
        ("Specificity", stats.rates["specific"]),
        ("Interestingness", stats.rates["interesting"]),
        ("SSI (mean of the three)", stats.ssi),
    ]
    return render(request, "frontend/campaign/stats.html", {"stats": stats, "rows": rows})

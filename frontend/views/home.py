from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from annotation.selectors import demographics_of, rating_queues_for
from collection.research_selectors import research_queues_for
from collection.selectors import campaigns_open_for, consent_given, session_active_for


@login_required
def tasks(request):
    """My tasks: the chat campaigns open to this worker (with their session to resume), the campaigns with replies
    waiting for this rater, and (once) the optional demographics question."""
    rows, campaigns = [], list(campaigns_open_for(request.user))
    for campaign in campaigns:
        session = session_active_for(request.user, campaign)
        rows.append(
            {
                "campaign": campaign,
                "session": session,
                "session_progress": campaign.amount(session.turn_count) if session else "",
                "consented": consent_given(user=request.user, campaign=campaign),
            }
        )
    queues = _queues(campaigns, rating_queues_for(rater_id=request.user.pk))
    context = {
        "rows": rows,
        "queues": queues,
        "any_waiting": any(q["waiting"] for q in queues),
        "ask_demographics": demographics_of(rater_id=request.user.pk) is None,
        "research_queues": research_queues_for(request.user),
    }
    return render(request, "frontend/tasks.html", context)


def _queues(campaigns: list, waiting: list[dict]) -> list[dict]:
    """Every open campaign with how many replies wait for this rater (0 too), then closed campaigns that still
    have replies waiting for them."""
    counts = {q["slug"]: q for q in waiting}
    rows = [{"slug": c.slug, "name": c.name, "waiting": counts.pop(c.slug, {}).get("waiting", 0)} for c in campaigns]
    return rows + list(counts.values())

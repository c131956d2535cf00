from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from annotation.selectors import demographics_of, rating_queues_for
from collection.selectors import campaigns_open_for, consent_given, session_active_for


@login_required
def tasks(request):
    """My tasks: the chat campaigns open to this worker (with their session to resume), the campaigns with replies
    waiting for this rater, and (once) the optional demographics question."""
    rows = []
    for campaign in campaigns_open_for(request.user):
        session = session_active_for(request.user, campaign)
        rows.append(
            {
                "campaign": campaign,
                "session": session,
                "session_progress": campaign.amount(session.turn_count) if session else "",
                "consented": consent_given(user=request.user, campaign=campaign),
            }
        )
    context = {
        "rows": rows,
        "queues": rating_queues_for(rater_id=request.user.pk),
        "ask_demographics": demographics_of(rater_id=request.user.pk) is None,
    }
    return render(request, "frontend/tasks.html", context)

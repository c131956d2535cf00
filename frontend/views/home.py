from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from collection.selectors import campaigns_open_for, consent_given, session_active_for


@login_required
def tasks(request):
    """My tasks: the chat campaigns open to this worker (with their session to resume) and the rating queue."""
    rows = [
        {
            "campaign": campaign,
            "session": session_active_for(request.user, campaign),
            "consented": consent_given(user=request.user, campaign=campaign),
        }
        for campaign in campaigns_open_for(request.user)
    ]
    return render(request, "frontend/tasks.html", {"rows": rows})

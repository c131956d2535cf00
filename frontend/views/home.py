from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def tasks(request):
    """My tasks: chat campaigns and rating work open to this worker."""
    return render(request, "frontend/tasks.html", {})

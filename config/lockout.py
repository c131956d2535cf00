"""django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): our page, status 429, and a Retry-After header."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    cooloff = settings.AXES_COOLOFF_TIME
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_timedelta": cooloff}
    response = render(request, "frontend/locked_out.html", context, status=429)
    if cooloff:
        response["Retry-After"] = str(int(cooloff.total_seconds()))
    return response

"""Django's error handlers (config/urls.py): JSON under /api/ like every other API answer, plain pages elsewhere,
never internals. A database outage that reaches handler500 becomes the 503 of config/outage.py."""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from config.outage import DATABASE_ERRORS, is_api, log_outage, unavailable_response

SERVER_ERROR_MESSAGE = "Something went wrong on our side. It has been logged; please try again later."
BAD_REQUEST_MESSAGE = "The request could not be read (too large, or malformed)."
FORBIDDEN_MESSAGE = "You do not have permission to do this."


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it inside its `except` block, so the exception is in sys.exc_info(). A database
    outage becomes the 503; anything else a plain 500 (JSON under /api/) with no internals in it."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_ERRORS):
        log_outage(request, exc)
        return unavailable_response(request)
    if is_api(request):
        return JsonResponse({"detail": SERVER_ERROR_MESSAGE, "code": "server_error"}, status=500)
    return HttpResponse(loader.render_to_string("errors/server_error.html", {}), status=500)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: a body over the size limit, too many fields, a bad Host header."""
    if is_api(request):
        return JsonResponse({"detail": BAD_REQUEST_MESSAGE, "code": "bad_request"}, status=400)
    return HttpResponse(loader.render_to_string("errors/bad_request.html", {}), status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler403 (PermissionDenied outside DRF, e.g. a POST to a read-only admin page)."""
    if is_api(request):
        return JsonResponse({"detail": FORBIDDEN_MESSAGE, "code": "forbidden"}, status=403)
    return HttpResponse(loader.render_to_string("errors/forbidden.html", {}), status=403)


NOT_FOUND_MESSAGE = "This page does not exist, or it is not yours."


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: JSON under /api/; elsewhere a page in the site's layout with the view's own sentence (a
    Http404 raised with a message by our views) or a plain one, never the resolver's internals."""
    message = exception.args[0] if exception is not None and exception.args else ""
    message = message if isinstance(message, str) and message else NOT_FOUND_MESSAGE
    if is_api(request):
        return JsonResponse({"detail": message, "code": "not_found"}, status=404)
    return HttpResponse(loader.render_to_string("errors/not_found.html", {"message": message}, request), status=404)

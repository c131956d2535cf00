"""A database that is down (or restarting, or refusing connections) is answered 503, never a 500 traceback.

    view raises OperationalError / InterfaceError  -> DatabaseOutageMiddleware.process_exception
    a middleware raises it (e.g. saving the session) -> handler500 (config/error_pages.py, sees the exception)
    API paths: JSON {"detail", "code": "unavailable"}; pages: a plain page that touches no database;
    both with Retry-After. Each outage request is logged as one warning line, not a traceback.

After the database comes back, the first request succeeds: settings turn on CONN_HEALTH_CHECKS, so a persistent
connection that died with the old server is replaced before a request uses it (docs/outages.md).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

logger = logging.getLogger("lamda.outage")

DATABASE_ERRORS = (OperationalError, InterfaceError)
API_MESSAGE = "The service is briefly unavailable. Please try again in a few seconds."


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def unavailable_response(
    request: HttpRequest, *, message: str = API_MESSAGE, code: str = "unavailable"
) -> HttpResponse:
    """503 with Retry-After: JSON under /api/, else a standalone page (no session, no user: nothing that needs the
    database). A GET page reloads itself after Retry-After seconds; a POST page says to send again."""
    retry_after = settings.LAMDA_RETRY_AFTER_SECONDS
    if is_api(request):
        response = JsonResponse({"detail": message, "code": code}, status=503)
    else:
        context = {"retry_after": retry_after, "reload": request.method == "GET"}
        response = HttpResponse(loader.render_to_string("errors/unavailable.html", context), status=503)
    response["Retry-After"] = str(retry_after)
    return response


def log_outage(request: HttpRequest, exc: BaseException) -> None:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    logger.warning("database unavailable for %s %s: %s", request.method, request.path, first_line)


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_ERRORS):
            log_outage(request, exception)
            return unavailable_response(request)
        return None

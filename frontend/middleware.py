"""Reject requests that carry a NUL character where the database would choke on it.

PostgreSQL text cannot hold NUL (0x00). Anything of the request that reaches a query unchecked (an admin list
filter such as `?status__exact=%00`, a `?campaign=` slug, a token in the Authorization header) made psycopg raise
DataError, i.e. a 500. This middleware answers such requests with a one-line 400 before any view runs:
JSON `{"detail": ...}` under /api/, plain text elsewhere.

Checked: the path, query-string keys and values, and HTTP header values. Not checked: request bodies. Form and
JSON fields are checked where they are used (Django form fields and DRF serializers reject NUL by default; the
chat services check the message and its client_message_id), so a bad field gets a message next to the field
and a chat page keeps the worker's draft instead of answering a bare 400.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

MESSAGE = "The request contains a NUL character (0x00), which is not allowed."


def _has_nul(items) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in items)


def request_has_nul(request: HttpRequest) -> bool:
    """True when the path, query string or header values of `request` hold a NUL character."""
    if "\x00" in request.path:
        return True
    if any(k.startswith("HTTP_") and "\x00" in str(v) for k, v in request.META.items()):
        return True
    return _has_nul(request.GET.lists())


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request_has_nul(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": MESSAGE}, status=400)
            return HttpResponseBadRequest(MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

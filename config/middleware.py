"""Browser-only middleware: the session, authentication and messages middleware, skipped for token API requests.

A request to /api/ whose Authorization header names the Token scheme is authenticated by its token or refused by
DRF (403; config.throttling.ThrottledTokenAuthentication, with its failed-token limit): no API view reads the
session for it, shows it a message, or takes its user from the session. So for such a request the middleware that
load a session, build a lazy session user and set up message storage does nothing but cost time on every rating
request (docs/performance.md). These subclasses pass such a request straight on and behave exactly like Django's
own for every other request (pages, the admin, session-authenticated API calls with their CSRF checks). They stay
subclasses so that Django's checks (admin.E408-E410) still find the middleware they stand for.

Untouched for every request, in their places in settings.MIDDLEWARE: security headers, NUL rejection, CSRF (DRF
views are csrf_exempt; DRF checks CSRF itself for session authentication), locale, the database-outage 503,
django-axes. The request body limits (DATA_UPLOAD_MAX_MEMORY_SIZE) are Django's request parsing, not middleware.

Consequence for a request that carries both a session cookie and a Token header: it is the token's request
(DRF's SessionAuthentication finds no session user and the token is checked), where before the session, if
valid, was used first on views with the default authentication order. A wrong token is refused either way.
"""

from __future__ import annotations

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse


def token_api_request(request: HttpRequest) -> bool:
    """/api/ with `Authorization: Token ...`: the same test of the scheme as DRF's TokenAuthentication (first word,
    any case), so every request let through here is one DRF authenticates by the token or refuses."""
    if not request.path_info.startswith("/api/"):
        return False
    scheme = request.META.get("HTTP_AUTHORIZATION", "").split(maxsplit=1)
    return bool(scheme) and scheme[0].lower() == "token"


class _SkippedForTokenApi:
    async_capable = False  # WSGI only here; under ASGI Django adapts it

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if token_api_request(request):
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddlewareForBrowsers(_SkippedForTokenApi, SessionMiddleware):
    """django.contrib.sessions' middleware, except for token API requests."""


class AuthenticationMiddlewareForBrowsers(_SkippedForTokenApi, AuthenticationMiddleware):
    """django.contrib.auth's middleware (request.user from the session), except for token API requests: DRF sets
    request.user from the token."""


class MessageMiddlewareForBrowsers(_SkippedForTokenApi, MessageMiddleware):
    """django.contrib.messages' middleware, except for token API requests."""

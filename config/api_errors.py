"""One place that turns errors a user can cause into clear 4xx JSON answers, never a 500."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApplicationError(Exception):
    """Raised by services for a request the user can fix; the API answers it with `status_code` and the message."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, *, status_code: int | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.extra = extra or {}


class Conflict(ApplicationError):
    status_code = status.HTTP_409_CONFLICT


class NotFound(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND


class Forbidden(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN


class Unavailable(ApplicationError):
    """503: the request was fine but cannot be served this moment (work rows busy, a model down); the answer
    carries Retry-After and the client should simply repeat the request."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE

    def __init__(self, message: str, *, retry_after: int | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


def retry_after_seconds(exc: ApplicationError) -> int:
    from django.conf import settings

    return getattr(exc, "retry_after", None) or settings.LAMDA_RETRY_AFTER_SECONDS


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        response = Response({"detail": exc.message, **exc.extra}, status=exc.status_code)
        if exc.status_code in (status.HTTP_429_TOO_MANY_REQUESTS, status.HTTP_503_SERVICE_UNAVAILABLE):
            response["Retry-After"] = str(retry_after_seconds(exc))
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    return drf_exception_handler(exc, context)


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer: one line for the user (some add machine-readable fields beside it)."""

    detail = serializers.CharField()


ERROR = OpenApiResponse(ErrorSerializer, description="{detail: message}")
BAD_INPUT = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Invalid input: {field: [messages]} for a field that failed validation, or {detail: message}.",
)


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI responses for the error codes an operation can answer (400 documents both error shapes)."""
    return {code: BAD_INPUT if code == 400 else ERROR for code in codes}


# any rest of the path, newlines included (a slug such as "a%0Ab" must not fall through to the HTML 404)
API_CATCH_ALL = r"^(?P<unmatched>[\s\S]*)\Z"


@csrf_exempt  # an answer that changes nothing: a POST to a mistyped API path gets this 404, not a CSRF 403
def api_not_found(request: HttpRequest, unmatched: str = "") -> JsonResponse:
    """JSON 404 for any path under an API prefix that names no endpoint (instead of Django's HTML page, and
    instead of APPEND_SLASH's redirect, which turns a POST into a GET and loses its body)."""
    detail = f"No API endpoint at {request.path}."
    if not request.path.endswith("/"):
        try:
            if resolve(request.path + "/").func is not api_not_found:
                detail += f" Did you mean {request.path}/ (with the trailing slash)?"
        except Resolver404:
            pass
    return JsonResponse({"detail": detail}, status=404)

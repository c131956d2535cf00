"""One place that turns errors a user can cause into clear 4xx JSON answers, never a 500."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
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


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response({"detail": exc.message, **exc.extra}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    return drf_exception_handler(exc, context)

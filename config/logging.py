"""Logging filters named in settings.LOGGING."""

import logging


class OneLineFilter(logging.Filter):
    """Drop the traceback of a record, keep its one-line message. For `django.security`: a request body over the
    size limit or a bad Host header is the client's mistake, answered 400; logging a full traceback for each one
    lets anyone fill the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


class ClientErrorOneLineFilter(logging.Filter):
    """For `django.request`: a 4xx answer (a PermissionDenied on a read-only admin page, a 404) is logged as one
    line; a 5xx keeps its traceback, which is what an operator needs to fix it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True

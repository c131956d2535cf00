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

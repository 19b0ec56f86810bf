"""Logging filters for the console handler (settings.LOGGING)."""
import logging


class NoTracebackBelow500(logging.Filter):
    """A refused request (403, 400, 404: a record with a `status_code` below 500) is one warning line.

    Django logs a PermissionDenied with the exception attached, which prints a full traceback for
    every 403 a cashier gets by opening the back-office. The traceback says nothing the line does
    not; server errors (500) keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500 and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True

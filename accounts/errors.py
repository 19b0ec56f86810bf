"""Errors raised by services; the API handler and the screens turn them into one shape."""
from django.core.exceptions import ValidationError  # noqa: F401  (re-exported for callers)


class ApplicationError(Exception):
    """A business rule refused the request (422 by default, 409 for conflicts, 404 for unknown ids)."""

    status = 422

    def __init__(self, code: str, message: str, *, status: int | None = None, fields: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        if status is not None:
            self.status = status


class NotFound(ApplicationError):
    status = 404

    def __init__(self, message: str = "Not found.", code: str = "not_found"):
        super().__init__(code, message)


class Conflict(ApplicationError):
    status = 409

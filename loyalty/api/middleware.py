"""Keeps /api/ answering in the API's error shape where Django itself would answer in HTML."""
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig

from loyalty.api.errors import error_json

logger = logging.getLogger(__name__)

# Endpoints that take a file (multipart) under their own size limit.
UPLOAD_PATHS = ("/api/v1/imports",)


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if request.path.startswith(UPLOAD_PATHS):
            # An import upload may be up to 50 MB; a larger one is refused by name, before it is read.
            if length > settings.IMPORT_MAX_BODY_BYTES:
                return error_json(400, "invalid", "The request has invalid fields.", {"file": ["The file is larger than 50 MB."]})
        elif length > settings.API_MAX_BODY_BYTES:
            return error_json(413, "request_too_large", f"The request body is over {settings.API_MAX_BODY_BYTES} bytes.")
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if response.status_code >= 400 and not content_type.startswith("application/json") and not request.path.startswith(("/api/docs", "/api/schema")):
            return self._as_json(response)
        return response

    def process_exception(self, request, exception):
        if not request.path.startswith("/api/"):
            return None
        if isinstance(exception, RequestDataTooBig):
            return error_json(413, "request_too_large", f"The request body is over {settings.API_MAX_BODY_BYTES} bytes.")
        logger.exception("Unhandled API error", exc_info=exception)
        return error_json(500, "server_error", "Something went wrong on our side; nothing was written.")

    @staticmethod
    def _as_json(response):
        codes = {404: ("not_found", "No such endpoint or object."), 405: ("method_not_allowed", "This method is not allowed here."),
                 400: ("bad_request", "The request could not be understood."), 413: ("request_too_large", "The request body is too large."),
                 403: ("permission_denied", "You do not have permission to do this.")}
        code, detail = codes.get(response.status_code, ("server_error" if response.status_code >= 500 else "error", "The request failed."))
        if response.status_code >= 500:
            detail = "Something went wrong on our side; nothing was written."
        return error_json(response.status_code, code, detail)

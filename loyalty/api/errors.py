"""One error shape for the whole API: {"code", "detail", "fields"}."""
import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from accounts.errors import ApplicationError

logger = logging.getLogger(__name__)

DRF_CODES = {
    exceptions.ParseError: "malformed_json",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def error_body(code: str, detail: str, fields: dict | None = None) -> dict:
    return {"code": code, "detail": detail, "fields": fields or {}}


def error_json(status_code: int, code: str, detail: str, fields: dict | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, detail, fields), status=status_code)


def _flatten(detail, prefix: str = "") -> dict:
    """DRF's nested error detail as {"field" or "lines[0].price": [messages]}."""
    out: dict = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    out.update(_flatten(item, f"{prefix}[{index}]"))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def django_validation_fields(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {field: [str(message) for error in errors for message in error.messages] for field, errors in exc.error_dict.items()}
    return {"non_field_errors": [str(message) for message in exc.messages]}


def api_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        return Response(error_body("invalid", "The request has invalid fields.", django_validation_fields(exc)), status=400)
    if isinstance(exc, exceptions.ValidationError):
        return Response(error_body("invalid", "The request has invalid fields.", _flatten(exc.detail)), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        code = DRF_CODES.get(type(exc), exc.default_code if isinstance(exc.default_code, str) else "error")
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        response = Response(error_body(code, str(detail)), status=exc.status_code)
        if isinstance(exc, (exceptions.AuthenticationFailed, exceptions.NotAuthenticated)):
            response["WWW-Authenticate"] = "Bearer"
            response.status_code = status.HTTP_401_UNAUTHORIZED
        if isinstance(exc, exceptions.Throttled) and exc.wait:
            response["Retry-After"] = str(int(exc.wait))
        return response
    logger.exception("Unhandled API error", exc_info=exc)
    return Response(error_body("server_error", "Something went wrong on our side; nothing was written."), status=500)

"""Input every request must pass before a view runs (accounts.inputs): one place for the API and the screens.

- A chunked body without Content-Length is read when the server has de-chunked it (gunicorn sets
  `wsgi.input_terminated`), up to the API's body limit; otherwise it is refused with 411.
- A NUL character (or a lone surrogate) in the path, the query string, a form post or the API's
  Idempotency-Key is 400: the API's error shape under /api/, a plain 400 page for the screens.
  JSON bodies are checked by the API's parser (loyalty.api.parsers).
"""
import io

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django_htmx.middleware import HtmxMiddleware

from accounts.inputs import bad_text_message, text_is_bad
from loyalty.api.errors import error_json


class InputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        is_api = request.path_info.startswith("/api/")
        refused = self._chunked_body(request, is_api=is_api)
        if refused is not None:
            return refused
        fields = self._bad_text(request, is_api=is_api)
        if fields:
            if is_api:
                return error_json(400, "invalid", "The request has invalid fields.", fields)
            return _bad_request_page(request)
        return self.get_response(request)

    @staticmethod
    def _chunked_body(request, *, is_api: bool):
        meta = request.META
        if "chunked" not in meta.get("HTTP_TRANSFER_ENCODING", "").lower() or meta.get("CONTENT_LENGTH"):
            return None
        if not meta.get("wsgi.input_terminated"):
            detail = "Send the body with a Content-Length header."
            if is_api:
                return error_json(411, "length_required", detail)
            return HttpResponse(detail, status=411, content_type="text/plain; charset=utf-8")
        limit = settings.API_MAX_BODY_BYTES
        body = meta["wsgi.input"].read(limit + 1)
        if len(body) > limit:
            if is_api:
                return error_json(413, "request_too_large", f"The request body is over {limit} bytes.")
            return HttpResponse("The request body is too large.", status=413, content_type="text/plain; charset=utf-8")
        meta["CONTENT_LENGTH"] = str(len(body))
        request._stream = LimitedStream(io.BytesIO(body), len(body))
        return None

    @staticmethod
    def _bad_text(request, *, is_api: bool) -> dict:
        fields: dict = {}
        if text_is_bad(request.path_info):
            fields["path"] = [bad_text_message()]
        if is_api and text_is_bad(request.headers.get("Idempotency-Key", "")):
            fields["Idempotency-Key"] = [bad_text_message()]
        sources = [request.GET]
        if not is_api and request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            sources.append(request.POST)
        for source in sources:
            for key, values in source.lists():
                if text_is_bad(key) or any(text_is_bad(value) for value in values):
                    fields[key.replace("\x00", "\ufffd")] = [bad_text_message()]
        return fields


def _bad_request_page(request) -> HttpResponse:
    with translation.override(translation.get_language_from_request(request)):
        html = render_to_string("400.html", request=request)
    return HttpResponse(html, status=400)


# --- middleware the POS API does not need ---------------------------------------------------------

API_PREFIX = "/api/v1/"


class ScreensOnly:
    """Mixed into a middleware the screens need and the versioned API does not (sessions, CSRF, the
    signed-in user, flash messages, htmx): under /api/v1/ the request goes straight on,
    which saves their work on every POS call. The API authenticates by key, answers JSON and has no
    session. Each class below is a subclass of the middleware it wraps, so Django's checks still see it."""

    def __call__(self, request):
        if request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        return super().__call__(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        hook = getattr(super(), "process_view", None)
        if hook is None or request.path_info.startswith(API_PREFIX):
            return None
        return hook(request, view_func, view_args, view_kwargs)

    def process_exception(self, request, exception):
        hook = getattr(super(), "process_exception", None)
        if hook is None or request.path_info.startswith(API_PREFIX):
            return None
        return hook(request, exception)


class Sessions(ScreensOnly, SessionMiddleware):
    pass


class Csrf(ScreensOnly, CsrfViewMiddleware):
    pass


class Authentication(ScreensOnly, AuthenticationMiddleware):
    pass


class Messages(ScreensOnly, MessageMiddleware):
    pass


class Htmx(ScreensOnly, HtmxMiddleware):
    pass

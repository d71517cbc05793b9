"""One JSON error shape for the whole API: ``{"code", "detail", "fields"}``.

Domain errors carry their own code; DRF's and Django's exceptions are mapped to stable codes.
No HTML error page and no 500 for malformed input: anything unexpected still answers JSON.
The error handlers of the URLconf (``error_403``, ``error_404``, ``error_500``) answer JSON
under /api/ and the product's styled HTML pages everywhere else.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.middleware.csrf import get_token
from django.template import loader
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import page_not_found, permission_denied
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from backend.core.errors import DomainError, database_error

logger = logging.getLogger(__name__)


class RequestTooLarge(exceptions.APIException):
    """A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (Django's ``RequestDataTooBig``)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "too_large"


# `malformed` is also the websockets' code for a frame that is not JSON (realtime/consumers.py).
_DRF_CODES: dict[type[exceptions.APIException], str] = {
    RequestTooLarge: "too_large",
    exceptions.ParseError: "malformed",
    exceptions.AuthenticationFailed: "not_authenticated",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ValidationError: "invalid",
}


def error_body(code: str, detail: Any, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "detail": str(detail), "fields": fields or {}}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's ErrorDetail trees as one level of field -> messages, as the schema's ``Error``
    declares: an error inside a list or a nested object is keyed by its path with dots
    (``"weekdays.1"``, ``"keys.auth"``), so every client reads ``fields`` the same way."""
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            fields |= _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        for index, item in enumerate(detail):
            if item:  # DRF puts {} or [] at the list items that were fine
                fields |= _flatten(item, f"{prefix}.{index}")
    elif isinstance(detail, list):
        fields[prefix or "non_field_errors"] = [str(item) for item in detail]
    else:
        fields[prefix or "non_field_errors"] = [str(detail)]
    return fields


def domain_response(error: DomainError) -> Response:
    fields = _flatten(error.fields) if error.fields else {}
    response = Response(error_body(error.code, error.detail, fields), status=error.status)
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return domain_response(exc)
    if (error := database_error(exc)) is not None:
        return domain_response(error)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        # Raised when DRF first reads the body (request.data), inside the view.
        exc = RequestTooLarge()
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled error in API view", exc_info=exc)
        return Response(
            error_body("server_error", _("Something went wrong on our side.")),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    assert isinstance(exc, exceptions.APIException)
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    if exc.default_code == "invalid_credentials":
        code = "invalid_credentials"
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body(code, _("Some fields are not valid."), _flatten(fields))
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        detail: Any = exc.detail
        if isinstance(detail, dict):  # simplejwt's token errors carry a dict
            detail = detail.get("detail", _("Authentication failed."))
            code = "token_not_valid"
        response.data = error_body(code, detail)
    else:
        response.data = error_body(code, exc.detail)
    return response


# Outside /api/ Django's own views render the product's pages (403.html and 404.html, which
# extend the board's base template); 500.html without context processors, see error_500.


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # DRF answers inside its views; this is for a PermissionDenied raised anywhere else.
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body("permission_denied", exceptions.PermissionDenied.default_detail),
            status=403,
        )
    return permission_denied(request, exception or DjangoPermissionDenied())


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", _("Not found.")), status=404)
    return page_not_found(request, exception or Http404())


@csrf_exempt  # a 404 for every method; without it, an unknown POST would get CSRF's 403 page
def api_not_found(request: HttpRequest) -> HttpResponse:
    """Every URL under /api/ that no route matched (the last route of the URLconf).

    ``handler404`` alone is not enough: with DEBUG (``make run``) Django answers an unmatched
    URL with its HTML technical page and never calls it. Matching every /api/ URL hides the
    unknown ones from CommonMiddleware's APPEND_SLASH, so its redirect is made here, for the
    reads it is meant for (a POST would lose its body on the way).
    """
    reading = request.method in ("GET", "HEAD")
    if settings.APPEND_SLASH and reading and not request.path_info.endswith("/"):
        try:
            match = resolve(f"{request.path_info}/", getattr(request, "urlconf", None))
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return error_404(request)


def _error_page(request: HttpRequest, status: int, detail: str | None = None) -> HttpResponse:
    """The styled 500.html, rendered like Django's ``server_error``: without context
    processors (no session, no user, no database), only the CSRF token its forms (language,
    log out) need. Should even that fail, a line of plain text."""
    try:
        body = loader.render_to_string(
            "500.html",
            {"request": request, "csrf_token": get_token(request), "detail": detail},
        )
    except Exception:
        logger.exception("the 500 page could not be rendered")
        return HttpResponse(
            str(detail or _("Something went wrong on our side.")),
            status=status,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(body, status=status)


def error_500(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except` for errors outside DRF's views (middleware: the
    # session, the webhook): a lost database is still a 503 with Retry-After there, not a 500.
    api = request.path.startswith("/api/")
    if (error := database_error(sys.exc_info()[1] or Exception())) is not None:
        if api:
            response: HttpResponse = JsonResponse(
                error_body(error.code, error.detail), status=error.status
            )
        else:
            response = _error_page(request, error.status, str(error.detail))
        response["Retry-After"] = str(error.retry_after)
        return response
    if api:
        return JsonResponse(
            error_body("server_error", _("Something went wrong on our side.")), status=500
        )
    return _error_page(request, 500)

"""One JSON error shape for the whole API: ``{"code", "detail", "fields"}``.

Domain errors carry their own code; DRF's and Django's exceptions are mapped to stable codes.
No HTML error page and no 500 for malformed input: anything unexpected still answers JSON.
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
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
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


def _flatten(detail: Any) -> Any:
    """DRF's ErrorDetail trees as plain lists of strings."""
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [str(item) for item in detail]
        return [_flatten(item) for item in detail]
    return [str(detail)]


def domain_response(error: DomainError) -> Response:
    response = Response(error_body(error.code, error.detail, error.fields), status=error.status)
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


def json_404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", _("Not found.")), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Http404())  # type: ignore[return-value]


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
    return json_404(request)


def json_500(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except` for errors outside DRF's views (middleware: the
    # session, the webhook): a lost database is still a 503 with Retry-After there, not a 500.
    if (error := database_error(sys.exc_info()[1] or Exception())) is not None:
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse(
                error_body(error.code, error.detail), status=error.status
            )
        else:
            response = HttpResponse(str(error.detail), status=error.status)
        response["Retry-After"] = str(error.retry_after)
        return response
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body("server_error", _("Something went wrong on our side.")), status=500
        )
    from django.views.defaults import server_error

    return server_error(request)

"""``/api/schema/``: the OpenAPI schema, generated once per process and language.

Once, under a lock: the first generation loads drf-spectacular's extensions, lazily and
without a lock of its own, and requests generating it at once on a fresh process failed in
there (AttributeError: 500s); and each generation costs a fifth of a second of CPU. The web
process generates it before it listens (``backend/config/asgi.py``).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView
from rest_framework.request import Request
from rest_framework.response import Response

logger = logging.getLogger(__name__)


# language -> schema
_schemas: dict[str, dict[str, Any]] = {}
_schemas_lock = threading.Lock()


def _supported_language(language: str | None) -> str:
    try:
        return translation.get_supported_language_variant(language or settings.LANGUAGE_CODE)
    except LookupError:
        return str(settings.LANGUAGE_CODE)


def api_schema(language: str | None = None) -> dict[str, Any]:
    """The OpenAPI schema with its texts in ``language`` (one of LANGUAGES), as a dict."""
    language = _supported_language(language)
    with _schemas_lock:
        if language not in _schemas:
            with translation.override(language):
                _schemas[language] = SchemaGenerator().get_schema(request=None, public=True)
        return _schemas[language]


def warm_schema() -> None:
    """Generate the schema now (the web process, at start-up)."""
    try:
        api_schema("en")
    except Exception:
        # A schema bug must not keep the API down; /api/schema/ will answer the 500 and log.
        logger.exception("could not generate the OpenAPI schema at start-up")


class SchemaView(SpectacularAPIView):
    """``/api/schema/``: the generated schema, in English (or the language of ``?lang=``).

    ``?version=`` is not honoured: the API has one version, and every distinct value would
    have been a schema generated and kept.
    """

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # One contract whoever asks: English unless ``?lang=`` asks for the docs in another
        # language (the request's Accept-Language does not change it).
        schema = api_schema(request.GET.get("lang") or "en")
        filename = self._get_filename(request, None)
        return Response(schema, headers={"Content-Disposition": f'inline; filename="{filename}"'})


class RedocView(SpectacularRedocView):
    """ReDoc from the installed sidecar, offline.

    The bundle's menu always shows a logo from ``cdn.redoc.ly``; the page's Content Security
    Policy keeps the browser from even asking for it (the bundle then hides the image), so the
    page makes no request beyond this server."""

    template_name = "api/redoc.html"

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; font-src 'self' data:; "
            "style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
            "worker-src 'self' blob:; connect-src 'self'"
        )
        return response

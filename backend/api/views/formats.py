"""Views with a format besides JSON (the CSV figures, the iCalendar feeds).

Only their data comes in that format. Errors and the OPTIONS metadata are dicts, not figures
or a calendar: they are the API's JSON whatever the client asked for (the CSV renderer, given
the metadata, failed with a KeyError).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class OtherFormatView(APIView):
    def _answer_in_json(self) -> None:
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type

    # DRF's own signature (a Request, not Django's HttpRequest); its stubs ignore it likewise.
    def options(self, request: Request, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        self._answer_in_json()
        return super().options(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response:
        self._answer_in_json()
        return super().handle_exception(exc)


class CSVBytesRenderer(BaseRenderer):
    """``text/csv`` for a view that answers the file's bytes, made by the domain (the
    information note's proof, the nominative list of allowances)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return data if isinstance(data, bytes) else b""

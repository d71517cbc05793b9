"""An organisation's figures for a year, as JSON or CSV (coordinators only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from backend.api.views.formats import OtherFormatView
from backend.api.views.organisations import organisation_for
from backend.core.errors import ValidationFailed
from backend.shifts.figures import figures_csv, organisation_figures


class FiguresCSVRenderer(BaseRenderer):
    """``figure,value`` rows; chosen with ``?format=csv`` or ``Accept: text/csv``."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return figures_csv(data)


class YearSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=1970, max_value=2200, required=False)


class FiguresView(OtherFormatView):
    renderer_classes = (JSONRenderer, FiguresCSVRenderer)

    @extend_schema(
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT, description="Default: the current year."),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"]),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="Volunteers active on 31 December (by membership and by completed "
                "shifts), new and stopped volunteers, hours, shifts published and filled, fill "
                "rate, no-show and late-cancellation rates, online/on-site split, and the trend "
                "over the previous years.",
            ),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="figure,value"),
        },
    )
    def get(self, request: Request, organisation_id: int) -> Response:
        """Figures for a year, reproducible for any past year (coordinators)."""
        organisation = organisation_for(request, organisation_id, manage=True)
        params = YearSerializer(data=request.query_params)
        if not params.is_valid():
            raise ValidationFailed(fields={"year": [str(e) for e in params.errors["year"]]})
        today = timezone.now().astimezone(ZoneInfo(organisation.time_zone))
        year = params.validated_data.get("year", today.year)
        figures = organisation_figures(organisation=organisation, year=year)
        response = Response(figures)
        if request.accepted_renderer.format == "csv":
            name = f"{organisation.slug}-{year}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

"""Planning: recurring series and copying a week (coordinators)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.error_codes import raises
from backend.api.serializers_toolkit import (
    CopyWeekResultSerializer,
    CopyWeekSerializer,
    SeriesSerializer,
    SeriesUpdateSerializer,
)
from backend.api.users import request_user
from backend.core import errors
from backend.core.errors import NotFound, ValidationFailed
from backend.organisations.models import Organisation
from backend.organisations.selectors import (
    managed_organisation_ids,
    may_manage,
)
from backend.shifts import services
from backend.shifts.models import Shift, ShiftSeries


def _data(series: ShiftSeries, occurrences: list[int]) -> dict[str, Any]:
    end = dt.datetime.combine(dt.date.min, series.start_time) + dt.timedelta(
        minutes=series.duration_minutes
    )
    data: dict[str, Any] = {
        name: getattr(series, name)
        for name in (*services.SERIES_TEMPLATE_FIELDS, *services.SERIES_RULE_FIELDS)
    }
    data |= {
        "id": series.pk,
        "organisation_id": series.organisation_id,
        "start_time": series.start_time,
        "end_time": end.time(),
    }
    return SeriesSerializer(data, context={"occurrences": occurrences}).data


def _render(series: ShiftSeries, code: int = status.HTTP_200_OK) -> Response:
    occurrences = list(series.shifts.order_by("starts_at").values_list("pk", flat=True))
    return Response(_data(series, occurrences), status=code)


def _managed_series(request: Request, series_id: int) -> ShiftSeries:
    series = get_object_or_404(ShiftSeries.objects.select_related("organisation"), pk=series_id)
    if not may_manage(user=request_user(request), organisation_id=series.organisation_id):
        raise NotFound()  # others don't learn the series exists
    return series


class SeriesListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("organisation", OpenApiTypes.INT)],
        responses=SeriesSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """The series of the organisations you coordinate, newest first (at most 200)."""
        series = ShiftSeries.objects.filter(
            organisation_id__in=managed_organisation_ids(user=request_user(request))
        ).order_by("-created_at", "-id")
        organisation = request.query_params.get("organisation", "")
        if organisation:
            if not organisation.isdigit() or len(organisation) > 18:
                raise ValidationFailed(fields={"organisation": [_("Give an organisation id.")]})
            series = series.filter(organisation_id=int(organisation))
        rows = list(series[:200])
        occurrences: dict[int, list[int]] = {row.pk: [] for row in rows}
        for series_id, shift_id in (
            Shift.objects.filter(series__in=rows)
            .order_by("starts_at")
            .values_list("series_id", "pk")
        ):
            occurrences[series_id].append(shift_id)
        return Response([_data(row, occurrences[row.pk]) for row in rows])

    @extend_schema(request=SeriesSerializer, responses={201: SeriesSerializer})
    @raises(errors.InfoNoteIncomplete)
    def post(self, request: Request) -> Response:
        """Create a recurring shift and its occurrences (a daily or weekly rule)."""
        data = SeriesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        organisation = get_object_or_404(Organisation, pk=values.pop("organisation_id"))
        series = services.series_create(
            actor=request_user(request),
            organisation=organisation,
            **values,
        )
        return _render(series, status.HTTP_201_CREATED)


class SeriesDetailView(APIView):
    @extend_schema(responses=SeriesSerializer)
    def get(self, request: Request, series_id: int) -> Response:
        return _render(_managed_series(request, series_id))

    @extend_schema(request=SeriesUpdateSerializer, responses=SeriesSerializer)
    def patch(self, request: Request, series_id: int) -> Response:
        """Change the whole series: every future occurrence that was not edited on its own
        follows; dates the rule no longer has are cancelled, new ones added."""
        series = _managed_series(request, series_id)
        data = SeriesUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        series = services.series_update(
            actor=request_user(request),
            series_id=series.pk,
            **data.validated_data,
        )
        return _render(series)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, series_id: int) -> Response:
        """Cancel every future occurrence of the series."""
        series = _managed_series(request, series_id)
        services.series_cancel(actor=request_user(request), series_id=series.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CopyWeekView(APIView):
    @extend_schema(request=CopyWeekSerializer, responses={201: CopyWeekResultSerializer})
    @raises(errors.InfoNoteIncomplete)
    def post(self, request: Request) -> Response:
        """Copy all shifts of one week (Monday to Sunday) to another, at the same local times."""
        data = CopyWeekSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        organisation = get_object_or_404(Organisation, pk=values.pop("organisation"))
        copies = services.shifts_copy_week(
            actor=request_user(request),
            organisation=organisation,
            **values,
        )
        return Response({"created": [c.pk for c in copies]}, status=status.HTTP_201_CREATED)

"""Belgian volunteer law: an organisation's information note, acknowledging it, and the proof
of who acknowledged which version (backend/organisations/info_note.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.error_codes import raises
from backend.api.serializers_law import (
    AcknowledgementSerializer,
    AcknowledgeSerializer,
    InfoNoteSerializer,
    InfoNoteWriteSerializer,
)
from backend.api.users import request_user
from backend.api.views.formats import OtherFormatView
from backend.api.views.organisations import organisation_for
from backend.core import errors
from backend.organisations import info_note
from backend.organisations.models import AckChannel


class InfoNoteView(APIView):
    @extend_schema(responses=InfoNoteSerializer)
    def get(self, request: Request, organisation_id: int) -> Response:
        """The current version of the organisation's information note, for its members and
        for anyone who may claim one of its public shifts (404 while it has none)."""
        reading = info_note.info_note_read(
            user=request_user(request), organisation_id=organisation_id
        )
        return Response(InfoNoteSerializer.of(reading))

    @extend_schema(request=InfoNoteWriteSerializer, responses=InfoNoteSerializer)
    def put(self, request: Request, organisation_id: int) -> Response:
        """Write a new version (admins). Versions are kept; with `material`, every volunteer
        acknowledges the new one before their next claim."""
        data = InfoNoteWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        user = request_user(request)
        info_note.info_note_write(
            actor=user, organisation_id=organisation_id, material=values.pop("material"), **values
        )
        reading = info_note.info_note_read(user=user, organisation_id=organisation_id)
        return Response(InfoNoteSerializer.of(reading))


class AcknowledgeView(APIView):
    @extend_schema(request=AcknowledgeSerializer, responses=InfoNoteSerializer)
    @raises(errors.InfoNoteChanged)
    def post(self, request: Request, organisation_id: int) -> Response:
        """Confirm you read this version of the note (recorded with the time and the app as
        channel); claims in the organisation are then possible. Doing it again changes
        nothing."""
        data = AcknowledgeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request_user(request)
        info_note.info_note_acknowledge(
            user=user,
            organisation_id=organisation_id,
            version=data.validated_data["version"],
            channel=AckChannel.APP,
        )
        reading = info_note.info_note_read(user=user, organisation_id=organisation_id)
        return Response(InfoNoteSerializer.of(reading))


class AcknowledgementsCSVRenderer(BaseRenderer):
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


class AcknowledgementListView(OtherFormatView):
    renderer_classes = (JSONRenderer, AcknowledgementsCSVRenderer)

    @extend_schema(
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"])],
        responses={
            (200, "application/json"): AcknowledgementSerializer(many=True),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="user_id,name,email,version,channel,acknowledged_at (local time)",
            ),
        },
    )
    def get(self, request: Request, organisation_id: int) -> Response:
        """Every acknowledgement of the note, oldest first: the organisation's proof that
        each volunteer was informed (coordinators)."""
        organisation = organisation_for(request, organisation_id, manage=True)
        rows = info_note.info_note_acknowledgements(
            actor=request_user(request), organisation_id=organisation.pk
        )
        if request.accepted_renderer.format == "csv":
            body = info_note.acknowledgements_csv(rows, time_zone=organisation.time_zone)
            response = Response(body)
            name = f"{organisation.slug}-information-note.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        required = organisation.info_note_version
        return Response(
            AcknowledgementSerializer(
                [
                    {
                        "id": ack.pk,
                        "user_id": ack.user_id,
                        "display_name": ack.user.profile.display_name,
                        "version": ack.version,
                        "channel": ack.channel,
                        "acknowledged_at": ack.acknowledged_at,
                        "up_to_date": required is not None and ack.version >= required,
                    }
                    for ack in rows
                ],
                many=True,
            ).data
        )

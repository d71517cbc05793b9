"""Personal data (GDPR): export everything Inzet holds about you, erase it, leave an
organisation."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.views.me import MeView
from backend.lifecycle.selectors import personal_data_export
from backend.lifecycle.services import membership_end, user_erase
from backend.organisations.models import Membership


class MeWithErasureView(MeView):
    """``/api/v1/me/``: GET and PATCH your profile (``MeView``); DELETE erases your account."""

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        """Erase your personal data. Your upcoming claims are cancelled (the waitlist moves
        up), your Telegram chat is unlinked and you can no longer log in. Hours and counts you
        contributed stay in the organisations' figures, without your name."""
        user_erase(user=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyDataExportView(APIView):
    @extend_schema(
        responses=OpenApiResponse(
            OpenApiTypes.OBJECT,
            description="Account, profile, memberships (current and past), qualifications, "
            "claims with check-in times and hours, Telegram settings.",
        )
    )
    def get(self, request: Request) -> Response:
        """All your personal data, as JSON."""
        data = personal_data_export(user=request.user, now=timezone.now())  # type: ignore[arg-type]
        response = Response(data)
        response["Content-Disposition"] = 'attachment; filename="inzet-my-data.json"'
        return response


class LeaveView(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, organisation_id: int) -> Response:
        """Leave an organisation: your upcoming claims there are cancelled."""
        membership = get_object_or_404(
            Membership, organisation_id=organisation_id, user=request.user
        )
        membership_end(actor=request.user, membership_id=membership.pk)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)

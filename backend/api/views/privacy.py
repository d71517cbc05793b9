"""Personal data (GDPR): export everything Inzet holds about you, erase it, leave an
organisation."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from backend.accounts.models import User
from backend.accounts.services import password_confirm
from backend.api.schema import ErrorSerializer
from backend.api.throttles import PasswordGuessThrottle, password_guess_failed
from backend.api.views.me import MeView
from backend.core.errors import WrongPassword
from backend.lifecycle.selectors import personal_data_export
from backend.lifecycle.services import membership_end, user_erase
from backend.organisations.models import Membership


class PasswordSerializer(serializers.Serializer[dict[str, str]]):
    password = serializers.CharField(
        write_only=True, max_length=128, style={"input_type": "password"}
    )


class MeWithErasureView(MeView):
    """Your account: read your profile, change it, or erase the account."""

    # GET and PATCH are MeView's; DELETE (erasure) is added here, with the other privacy views.

    def get_throttles(self) -> list[BaseThrottle]:
        # Asking for the password is a guess each time: limited like a log-in.
        return [PasswordGuessThrottle()] if self.request.method == "DELETE" else []

    @extend_schema(
        request=PasswordSerializer,
        responses={
            204: None,
            403: OpenApiResponse(ErrorSerializer, description="`wrong_password`"),
        },
    )
    def delete(self, request: Request) -> Response:
        """Erase your personal data, giving your password once more. Your upcoming claims are
        cancelled (the waitlist moves up), your Telegram chat is unlinked and you can no longer
        log in. Hours and counts you contributed stay in the organisations' figures, without
        your name. An account made in the Telegram bot has no password: erase it there."""
        data = PasswordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        try:
            password_confirm(user=user, password=data.validated_data["password"])
        except WrongPassword:
            password_guess_failed(request, self)
            raise
        user_erase(user=user)
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

"""Reminders and notifications: a volunteer's reminder settings, the coordinators'
broadcast, the list of notifications (``?status=failed``) and the follow-up list."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.error_codes import raises
from backend.api.users import request_user
from backend.core import errors
from backend.core.errors import ValidationFailed
from backend.notifications import services
from backend.notifications.models import ClaimFeedback, Notification
from backend.telegram.models import TelegramAccount

# Lists show the most recent rows; older ones stay in the database (and the admin).
LIST_LIMIT = 200


class ReminderSettingsSerializer(serializers.Serializer[object]):
    enabled = serializers.BooleanField(required=False)
    offsets_minutes = serializers.ListField(child=serializers.IntegerField(), required=False)


class BroadcastSerializer(serializers.Serializer[object]):
    text = serializers.CharField(max_length=1000)


class BroadcastResultSerializer(serializers.Serializer[object]):
    queued = serializers.IntegerField(
        help_text="volunteers newly asked (each at most once: 0 when the call is repeated)"
    )
    detail = serializers.CharField(help_text="the same in a sentence, in the user's language")


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    # Plain strings (not enums): "status" and "kind" name other choice sets in the schema.
    kind = serializers.CharField(
        read_only=True,
        help_text="reminder, follow_up, promoted, shift_changed, shift_cancelled, "
        "late_cancel_notice, broadcast",
    )
    status = serializers.CharField(
        read_only=True, help_text="pending, sending, sent, dropped, failed"
    )

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "status",
            "user",
            "shift",
            "claim",
            "scheduled_for",
            "due_at",
            "sent_at",
            "attempts",
            "last_error",
        ]


class FollowUpSerializer(serializers.ModelSerializer[ClaimFeedback]):
    shift = serializers.IntegerField(source="claim.shift_id")
    shift_title = serializers.CharField(source="claim.shift.title")
    volunteer = serializers.IntegerField(source="claim.volunteer_id")
    volunteer_name = serializers.CharField(source="claim.volunteer.profile.display_name")

    class Meta:
        model = ClaimFeedback
        fields = [
            "claim",
            "shift",
            "shift_title",
            "volunteer",
            "volunteer_name",
            "score",
            "comment",
            "answered_at",
        ]


def _settings_response(enabled: bool, offsets: list[int]) -> Response:
    return Response({"enabled": enabled, "offsets_minutes": offsets})


class MyReminderSettingsView(APIView):
    @extend_schema(responses=ReminderSettingsSerializer)
    def get(self, request: Request) -> Response:
        """Your reminders: on or off, and how many minutes before a shift (default 1440, 120)."""
        enabled = (
            TelegramAccount.objects.filter(user=request_user(request))
            .values_list("reminders_enabled", flat=True)
            .first()
        )
        return _settings_response(
            enabled is not False, services.reminder_offsets(user_id=request_user(request).pk)
        )

    @extend_schema(request=ReminderSettingsSerializer, responses=ReminderSettingsSerializer)
    def patch(self, request: Request) -> Response:
        """Switch reminders on/off or change the offsets (for shifts claimed from now on)."""
        data = ReminderSettingsSerializer(data=request.data)
        if not data.is_valid():
            raise ValidationFailed(fields=data.errors)
        enabled, offsets = services.reminder_settings_set(
            user=request_user(request),
            enabled=data.validated_data.get("enabled"),
            offsets_minutes=data.validated_data.get("offsets_minutes"),
        )
        return _settings_response(enabled, offsets)


class ShiftBroadcastView(APIView):
    @extend_schema(request=BroadcastSerializer, responses=BroadcastResultSerializer)
    @raises(errors.ShiftFull, errors.ShiftStarted, errors.ShiftNotOpen)
    def post(self, request: Request, shift_id: int) -> Response:
        """Ask the volunteers who could claim this shift (the organisation's volunteers,
        qualified, free, reminders on, not claimed yet, not only wanting the other mode), with
        a Claim button. Each volunteer hears of a shift once; the sender and the coordinators
        are not asked. A full shift without a waitlist is refused (409 `shift_full`)."""
        data = BroadcastSerializer(data=request.data)
        if not data.is_valid():
            raise ValidationFailed(fields=data.errors)
        queued = services.shift_broadcast(
            actor=request_user(request),
            shift_id=shift_id,
            text=data.validated_data["text"],
        )
        return Response({"queued": queued, "detail": services.broadcast_outcome(queued)})


class OrganisationNotificationsView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("status", str, description="pending, sent, dropped, failed")],
        responses=NotificationSerializer(many=True),
    )
    def get(self, request: Request, organisation_id: int) -> Response:
        """The organisation's notifications, newest first; ``?status=failed`` for the ones
        that could not be delivered, with the reason."""
        rows = services.notifications_of(
            actor=request_user(request),
            organisation_id=organisation_id,
            status=request.query_params.get("status"),
        )
        return Response(NotificationSerializer(rows[:LIST_LIMIT], many=True).data)


class OrganisationFollowUpsView(APIView):
    @extend_schema(responses=FollowUpSerializer(many=True))
    def get(self, request: Request, organisation_id: int) -> Response:
        """Follow-up answers that need a coordinator: a score of 1 or 2, or worrying words."""
        rows = services.follow_ups_of(
            actor=request_user(request),
            organisation_id=organisation_id,
        )
        return Response(FollowUpSerializer(rows[:LIST_LIMIT], many=True).data)

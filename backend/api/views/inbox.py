"""The volunteer's app as a channel: its push devices, the inbox of what was sent, and the
answer to "how did it go" (``backend.notifications.inbox``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.pagination import PageNumberPagination
from backend.api.schema import ErrorSerializer
from backend.api.users import request_user
from backend.core.errors import NotFound
from backend.notifications.inbox import (
    device_register,
    device_remove,
    devices_of,
    feedback_give,
    inbox_mark_read,
    inbox_of,
    inbox_unread,
)
from backend.notifications.models import Channel, Device, DeviceKind, Kind, Notification
from backend.notifications.push import enabled_kinds, vapid_public_key


class SubscriptionKeysSerializer(serializers.Serializer[dict[str, str]]):
    p256dh = serializers.CharField(max_length=120)
    auth = serializers.CharField(max_length=60)


class DeviceWriteSerializer(serializers.Serializer[dict[str, Any]]):
    kind = serializers.ChoiceField(choices=DeviceKind.choices)
    endpoint = serializers.CharField(
        max_length=1000, required=False, help_text="webpush: the PushSubscription's endpoint"
    )
    keys = SubscriptionKeysSerializer(required=False, help_text="webpush: its keys")
    token = serializers.CharField(
        max_length=1000, required=False, help_text="fcm: the registration token"
    )


class DeviceSerializer(serializers.ModelSerializer[Device]):
    class Meta:
        model = Device
        fields = ("id", "kind", "created_at", "last_pushed_at")


class PushConfigSerializer(serializers.Serializer[dict[str, Any]]):
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=DeviceKind.choices),
        help_text="the kinds of device this server pushes to (empty: push is off)",
    )
    vapid_public_key = serializers.CharField(
        allow_null=True,
        help_text="the applicationServerKey for PushManager.subscribe (base64url)",
    )


class DeviceListView(generics.ListAPIView[Device]):
    """Your app installations that receive push messages."""

    serializer_class = DeviceSerializer
    pagination_class = None

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Device.objects.none()
        return devices_of(user=request_user(self.request))

    @extend_schema(request=DeviceWriteSerializer, responses={201: DeviceSerializer})
    def post(self, request: Request) -> Response:
        """Register this device for push: `{"kind": "webpush", "endpoint": ..., "keys":
        {"p256dh": ..., "auth": ...}}` as a browser's `PushSubscription.toJSON()` gives it, or
        `{"kind": "fcm", "token": ...}`. Registering the same endpoint or token again (also
        from another account) updates it. Messages go to Telegram when you linked the bot,
        else to your devices, and always to your inbox."""
        data = DeviceWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        keys = values.get("keys") or {}
        device = device_register(
            user=request_user(request),
            kind=values["kind"],
            endpoint=values.get("endpoint", ""),
            p256dh=keys.get("p256dh", ""),
            auth=keys.get("auth", ""),
            token=values.get("token", ""),
        )
        return Response(DeviceSerializer(device).data, status=status.HTTP_201_CREATED)


class DeviceDetailView(APIView):
    @extend_schema(responses={200: DeviceSerializer})
    def get(self, request: Request, device_id: int) -> Response:
        """One of your devices."""
        device = devices_of(user=request_user(request)).filter(pk=device_id).first()
        if device is None:
            raise NotFound()
        return Response(DeviceSerializer(device).data)

    @extend_schema(responses={204: None, 404: OpenApiResponse(ErrorSerializer)})
    def delete(self, request: Request, device_id: int) -> Response:
        """Stop pushing to this device (log-out in the app, notifications switched off)."""
        device_remove(user=request_user(request), device_id=device_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PushConfigView(APIView):
    @extend_schema(responses={200: PushConfigSerializer})
    def get(self, request: Request) -> Response:
        """What an app needs to subscribe to push."""
        return Response({"kinds": enabled_kinds(), "vapid_public_key": vapid_public_key()})


class InboxItemSerializer(serializers.ModelSerializer[Notification]):
    kind = serializers.ChoiceField(choices=Kind.choices)
    channel = serializers.ChoiceField(
        choices=Channel.choices, help_text="how it reached you: telegram, push or inbox only"
    )
    shift_title = serializers.CharField(source="shift.title")

    class Meta:
        model = Notification
        fields = (
            "id",
            "kind",
            "text",
            "channel",
            "sent_at",
            "read_at",
            "shift_id",
            "shift_title",
            "claim_id",
        )


class InboxPagination(PageNumberPagination):
    """The page, with how many of all the messages are unread."""

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data["unread"] = inbox_unread(user=request_user(self.request))  # type: ignore[arg-type]
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["unread"] = {
            "type": "integer",
            "description": "How many messages, on every page, are not read yet.",
        }
        paginated["required"] = [*paginated.get("required", []), "unread"]
        return paginated


class InboxView(generics.ListAPIView[Notification]):
    """Everything sent to you (reminders, promotions, moved or cancelled shifts, messages
    from coordinators), newest first, with the number still unread."""

    serializer_class = InboxItemSerializer
    pagination_class = InboxPagination

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return inbox_of(user=request_user(self.request))


class InboxReadView(APIView):
    @extend_schema(request=None, responses={200: InboxItemSerializer})
    def post(self, request: Request, notification_id: int) -> Response:
        """Mark one message of your inbox as read."""
        row = inbox_mark_read(user=request_user(request), notification_id=notification_id)
        return Response(InboxItemSerializer(row).data)


class FeedbackSerializer(serializers.Serializer[dict[str, Any]]):
    score = serializers.IntegerField(min_value=1, max_value=5, help_text="1 (bad) to 5 (great)")
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class FeedbackAnswerSerializer(serializers.Serializer[dict[str, Any]]):
    claim_id = serializers.IntegerField()
    score = serializers.IntegerField()
    comment = serializers.CharField()
    answered_at = serializers.DateTimeField()


class FeedbackView(APIView):
    @extend_schema(
        request=FeedbackSerializer,
        responses={
            200: FeedbackAnswerSerializer,
            409: OpenApiResponse(
                ErrorSerializer, description="`shift_not_ended`, `claim_not_active`"
            ),
        },
    )
    def post(self, request: Request, claim_id: int) -> Response:
        """Say how a shift went, once it is over: the same question the bot asks. A score of 1
        or 2 (or a worrying comment) reaches the coordinators' follow-up list."""
        data = FeedbackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        feedback = feedback_give(
            user=request_user(request),
            claim_id=claim_id,
            score=data.validated_data["score"],
            comment=data.validated_data.get("comment", ""),
        )
        return Response(
            {
                "claim_id": feedback.claim_id,
                "score": feedback.score,
                "comment": feedback.comment,
                "answered_at": feedback.answered_at,
            }
        )

"""The volunteer's own side of notifications: the devices their app registers for push, the
inbox of everything sent to them, and their answers to "how did it go" from the app."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.core.errors import ClaimNotActive, NotFound, ShiftNotEnded, ValidationFailed
from backend.notifications.models import ClaimFeedback, Device, DeviceKind, Notification
from backend.notifications.services import WORRYING, follow_up_answer
from backend.shifts.models import Claim, ClaimStatus

MAX_DEVICES = 20


def _b64url(value: str, field: str, length: int) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != length or (length == 65 and raw[0] != 4):
        raise ValidationFailed(
            fields={field: [_("This is not a key of a browser's push subscription.")]}
        )
    return raw


@transaction.atomic
def device_register(
    *, user: User, kind: str, endpoint: str = "", p256dh: str = "", auth: str = "", token: str = ""
) -> Device:
    """Register (or take over, for another account on the same device) a push address."""
    if kind == DeviceKind.WEBPUSH:
        parts = urlsplit(endpoint)
        schemes = ("https", "http") if settings.WEBPUSH_ALLOW_HTTP else ("https",)
        if parts.scheme not in schemes or not parts.hostname:
            raise ValidationFailed(fields={"endpoint": [_("Give the subscription's https URL.")]})
        _b64url(p256dh, "keys.p256dh", 65)
        _b64url(auth, "keys.auth", 16)
        address = endpoint
    elif kind == DeviceKind.FCM:
        if not token.strip():
            raise ValidationFailed(fields={"token": [_("Give the FCM registration token.")]})
        address, p256dh, auth = token.strip(), "", ""
    else:
        raise ValidationFailed(fields={"kind": [_("Choose webpush or fcm.")]})
    device, created = Device.objects.select_for_update().get_or_create(
        address=address, defaults={"user": user, "kind": kind, "p256dh": p256dh, "auth": auth}
    )
    if not created:
        device.user, device.kind, device.p256dh, device.auth = user, kind, p256dh, auth
        device.created_at = timezone.now()
        device.save()
    # An app that re-subscribes often leaves old subscriptions behind: keep the newest.
    stale = Device.objects.filter(user=user).order_by("-created_at").values_list("pk")[MAX_DEVICES:]
    Device.objects.filter(pk__in=list(stale)).delete()
    return device


def devices_of(*, user: User) -> QuerySet[Device]:
    return Device.objects.filter(user=user).order_by("-created_at", "-id")


def device_remove(*, user: User, device_id: int) -> None:
    deleted, _ = Device.objects.filter(user=user, pk=device_id).delete()
    if not deleted:
        raise NotFound()


def inbox_of(*, user: User) -> QuerySet[Notification]:
    """What was sent to ``user``, on whatever channel, newest first."""
    return (
        Notification.objects.filter(user=user)
        .exclude(channel="")
        .select_related("shift")
        .order_by("-sent_at", "-id")
    )


def inbox_unread(*, user: User) -> int:
    return inbox_of(user=user).filter(read_at__isnull=True).count()


def inbox_mark_read(*, user: User, notification_id: int) -> Notification:
    row = inbox_of(user=user).filter(pk=notification_id).first()
    if row is None:
        raise NotFound()
    if row.read_at is None:
        row.read_at = timezone.now()
        Notification.objects.filter(pk=row.pk, read_at__isnull=True).update(read_at=row.read_at)
    return row


@transaction.atomic
def feedback_give(*, user: User, claim_id: int, score: int, comment: str = "") -> ClaimFeedback:
    """How it went, from the app: the score (and comment) the bot's follow-up asks for. Only
    for a claim of one's own on a shift that is over; 1 or 2, or a worrying comment, puts it
    on the coordinators' follow-up list."""
    claim = Claim.objects.select_related("shift").filter(pk=claim_id, volunteer_id=user.pk).first()
    if claim is None:
        raise NotFound()
    if claim.status not in (ClaimStatus.CONFIRMED, ClaimStatus.COMPLETED):
        raise ClaimNotActive()
    if claim.shift.ends_at > timezone.now():
        raise ShiftNotEnded()
    feedback = follow_up_answer(user=user, claim_id=claim_id, score=score)
    comment = comment.strip()[:2000]
    if comment:
        feedback.comment = comment
        feedback.awaiting_comment_until = None
        feedback.needs_follow_up = feedback.needs_follow_up or bool(WORRYING.search(comment))
        feedback.save(update_fields=["comment", "awaiting_comment_until", "needs_follow_up"])
    return feedback

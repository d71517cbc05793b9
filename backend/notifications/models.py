"""What must be sent, as rows: written in the same transaction as the change that causes
them, sent by the worker (``manage.py run_worker``), never lost when a process dies.

A row's ``key`` is unique (kind + claim or shift + user + the scheduled moment), so the same
message can never be scheduled twice; a shift that moves gets reminders with new keys, and
the old ones are dropped when the worker re-checks them at send time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Kind(models.TextChoices):
    # Internal: (re)plans a claim's reminders and follow-up with the volunteer's offsets.
    PLAN = "plan", "plan reminders"
    REMINDER = "reminder", "reminder"
    FOLLOW_UP = "follow_up", "follow-up"
    PROMOTED = "promoted", "promoted from the waitlist"
    SHIFT_CHANGED = "shift_changed", "shift time changed"
    SHIFT_CANCELLED = "shift_cancelled", "shift cancelled"
    # Internal: one row per late cancellation, fanned out to the coordinators by the worker.
    LATE_CANCELLATION = "late_cancellation", "late cancellation"
    LATE_CANCELLATION_NOTICE = "late_cancel_notice", "late cancellation (to a coordinator)"
    BROADCAST = "broadcast", "coordinator broadcast"
    CLAIM_CANCELLED = "claim_cancelled", "claim cancelled by a coordinator"
    ALLOWANCE_WARNING = "allowance_warning", "80 % of the yearly allowance cap"
    ALLOWANCE_NOTICE = "allowance_notice", "80 % of the yearly allowance cap (to a coordinator)"
    # Stand-ins: a volunteer asked to take over, the requester told it is taken over, the
    # coordinators told nobody has yet (24 hours before the start).
    STAND_IN_ASK = "stand_in_ask", "asked to stand in"
    STAND_IN_FOUND = "stand_in_found", "a stand-in took over"
    STAND_IN_UNFILLED = "stand_in_unfilled", "no stand-in yet (to a coordinator)"
    # A direct swap: the second volunteer asked to confirm, the first told it is done.
    SWAP_ASK = "swap_ask", "asked to swap"
    SWAP_DONE = "swap_done", "swap confirmed"
    # A shift starting soon that is still short, offered to volunteers who opted in.
    HELP_NOW = "help_now", "help now"
    # The weekly digest of new shifts that match the volunteer's profile.
    DIGEST = "digest", "weekly digest"
    # Internal: a shift was published (the moment the digests count from); the worker
    # suggests it to the volunteers who could claim it (``shift.suggested`` on ``ws/v1/me/``).
    SHIFT_PUBLISHED = "shift_published", "shift published"


class Channel(models.TextChoices):
    """Where a notification reached its person: Telegram when they linked the bot, else push
    to their app's devices, else only their inbox (``GET /api/v1/me/notifications/``). Every
    one is in the inbox."""

    TELEGRAM = "telegram", "Telegram"
    PUSH = "push", "push"
    INBOX = "inbox", "inbox"


class DeviceKind(models.TextChoices):
    WEBPUSH = "webpush", "Web Push"
    FCM = "fcm", "Firebase Cloud Messaging"


class Device(models.Model):
    """An app installation that receives push messages: a Web Push subscription (a browser's
    or PWA's ``PushSubscription``) or an FCM registration token (Android, iOS). ``address`` is
    the endpoint or the token, unique: registering it again (another account on the same
    phone) moves it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices"
    )
    kind = models.CharField(max_length=10, choices=DeviceKind.choices)
    address = models.CharField(max_length=1000, unique=True)
    # Web Push: the subscription's keys (base64url), for the encryption of the payload.
    p256dh = models.CharField(max_length=120, blank=True)
    auth = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_pushed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} device {self.pk} of user {self.user_id}"


class Status(models.TextChoices):
    PENDING = "pending", "pending"
    SENDING = "sending", "being sent"
    SENT = "sent", "sent"
    # Not sent on purpose: the claim was cancelled, the shift moved or started, reminders off.
    DROPPED = "dropped", "dropped"
    FAILED = "failed", "failed"


class Notification(models.Model):
    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # No database constraint: PostgreSQL checks foreign keys at commit with a KEY SHARE lock
    # on the referenced row, and the shift services lock the organisation row FOR UPDATE
    # (with the shift), so a claim committing its notification could deadlock with a
    # cancellation promoting that volunteer. Deleting an organisation still cascades (ORM).
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    # None for the internal fan-out rows (late cancellation).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    shift = models.ForeignKey("shifts.Shift", on_delete=models.CASCADE, related_name="+")
    claim = models.ForeignKey(
        "shifts.Claim", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The shift's start this row was planned for: a reminder whose shift has moved since is
    # dropped at send time (the move planned new ones).
    shift_starts_at = models.DateTimeField()
    # When it should go out, before quiet hours; ``due_at`` is when the worker may send it.
    scheduled_for = models.DateTimeField()
    due_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    # A worker holds a row it is sending until this moment; after it (the worker died) the
    # row is due again: at-least-once.
    locked_until = models.DateTimeField(null=True, blank=True)
    locked_by = models.CharField(max_length=40, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # How it reached the person (``Channel``), the text they got (for their inbox), and when
    # they read it there.
    channel = models.CharField(max_length=10, blank=True)
    text = models.TextField(blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="notification_due",
                condition=Q(status__in=["pending", "sending"]),
            ),
            models.Index(fields=["organisation", "status"], name="notification_org_status"),
            models.Index(fields=["claim", "kind"], name="notification_claim_kind"),
            models.Index(
                fields=["user", "-sent_at"],
                name="notification_inbox",
                condition=~Q(channel=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} ({self.status})"


class ReminderSettings(models.Model):
    """A volunteer's reminder offsets. On/off is ``TelegramAccount.reminders_enabled``."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_settings"
    )
    # Minutes before the shift's start, e.g. [1440, 120] for 24 hours and 2 hours.
    offsets_minutes = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"reminder offsets of user {self.user_id}"


class ClaimFeedback(models.Model):
    """What the volunteer said about a claim: "I'm coming", and how it went afterwards.

    Kept next to the claim rather than on it: the claim's table belongs to the shifts app.
    """

    claim = models.OneToOneField("shifts.Claim", on_delete=models.CASCADE, related_name="feedback")
    # "I'm coming" pressed on a reminder (check-in itself opens only 30 minutes before).
    attendance_confirmed_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # Free text sent after the score is stored as the comment until this moment.
    awaiting_comment_until = models.DateTimeField(null=True, blank=True)
    # A low score or a worrying comment: on the coordinators' follow-up list.
    needs_follow_up = models.BooleanField(default=False)
    # A coordinator dealt with it (the cockpit's follow-ups page): when, who, and their note.
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
                name="feedback_score_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"feedback on claim {self.claim_id}"

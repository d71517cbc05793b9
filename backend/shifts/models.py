"""Shifts and the claims volunteers make on them.

The seat counter ``Shift.confirmed_count`` is what keeps a shift from being overbooked: it is
only ever changed by conditional updates inside a transaction, and a database CHECK keeps it
within 0..capacity whatever code writes to it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from backend.organisations.models import Organisation, Qualification


class ShiftMode(models.TextChoices):
    ON_SITE = "on_site", _("on site")
    ONLINE = "online", _("online")


class ShiftStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    CANCELLED = "cancelled", _("cancelled")


class ShiftVisibility(models.TextChoices):
    MEMBERS = "members", _("members of the organisation")
    PUBLIC = "public", _("every registered volunteer")


class SeriesFrequency(models.TextChoices):
    DAILY = "daily", _("daily")
    WEEKLY = "weekly", _("weekly")


class ShiftSeries(models.Model):
    """A recurring shift: a template and a daily or weekly rule (RFC 5545 RRULE semantics,
    computed with python-dateutil). Each occurrence is an ordinary Shift linked to it.

    Times are wall-clock times in the organisation's time zone: a 14:00 round stays at 14:00
    across a daylight-saving change.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="shift_series"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    mode = models.CharField(max_length=8, choices=ShiftMode.choices, default=ShiftMode.ON_SITE)
    address = models.CharField(max_length=300, blank=True)
    meeting_link = models.URLField(max_length=500, blank=True)
    capacity = models.PositiveIntegerField()
    waitlist_enabled = models.BooleanField(default=True)
    cancellation_deadline_hours = models.PositiveIntegerField(default=24)
    # Above the legal minimum (16, or 15 with the school attestation), e.g. 18 for care at home.
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    # An activity of the higher allowance cap (backend.allowances.models.HigherCapCategory).
    allowance_category = models.CharField(max_length=24, blank=True, default="")
    visibility = models.CharField(
        max_length=8, choices=ShiftVisibility.choices, default=ShiftVisibility.MEMBERS
    )
    required_qualifications = models.ManyToManyField(
        Qualification, blank=True, related_name="series"
    )
    frequency = models.CharField(max_length=8, choices=SeriesFrequency.choices)
    interval = models.PositiveSmallIntegerField(default=1)
    # Weekdays of a weekly rule, 0 = Monday .. 6 = Sunday.
    weekdays = models.JSONField(default=list, blank=True)
    starts_on = models.DateField()
    until = models.DateField()
    start_time = models.TimeField()
    duration_minutes = models.PositiveIntegerField()
    claims_open_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(until__gte=F("starts_on")), name="series_until_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.frequency})"


# Fields a coordinator may set on a shift; the counters, organisation and status are not here.
SHIFT_EDITABLE_FIELDS = (
    "title",
    "description",
    "mode",
    "address",
    "meeting_link",
    "starts_at",
    "ends_at",
    "capacity",
    "waitlist_enabled",
    "cancellation_deadline_hours",
    "visibility",
    "claims_open_at",
    "min_age",
    "allowance_category",
)


class Shift(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="shifts")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    mode = models.CharField(max_length=8, choices=ShiftMode.choices, default=ShiftMode.ON_SITE)
    address = models.CharField(max_length=300, blank=True)
    meeting_link = models.URLField(max_length=500, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField()
    confirmed_count = models.PositiveIntegerField(default=0)
    waitlist_count = models.PositiveIntegerField(default=0)
    # Ticket counter for waitlist order: each waitlisted claim takes the next number.
    waitlist_seq = models.PositiveIntegerField(default=0)
    required_qualifications = models.ManyToManyField(
        Qualification, blank=True, related_name="shifts"
    )
    waitlist_enabled = models.BooleanField(default=True)
    cancellation_deadline_hours = models.PositiveIntegerField(default=24)
    # Above the legal minimum (16, or 15 with the school attestation), e.g. 18 for care at home.
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    # An activity of the higher allowance cap (backend.allowances.models.HigherCapCategory).
    allowance_category = models.CharField(max_length=24, blank=True, default="")
    visibility = models.CharField(
        max_length=8, choices=ShiftVisibility.choices, default=ShiftVisibility.MEMBERS
    )
    status = models.CharField(max_length=12, choices=ShiftStatus.choices, default=ShiftStatus.DRAFT)
    # Before this moment claims are refused (``claims_not_open``): fair access to popular shifts.
    claims_open_at = models.DateTimeField(null=True, blank=True)
    series = models.ForeignKey(
        ShiftSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="shifts"
    )
    # The rule's date this occurrence stands for (it stays when the occurrence is moved).
    series_date = models.DateField(null=True, blank=True)
    # Edited on its own: changes to the whole series no longer touch this occurrence.
    series_detached = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["organisation", "starts_at"], name="shift_org_start"),
            models.Index(fields=["status", "starts_at"], name="shift_status_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1) & Q(capacity__lte=500), name="shift_capacity_range"
            ),
            models.CheckConstraint(
                condition=Q(confirmed_count__gte=0) & Q(confirmed_count__lte=F("capacity")),
                name="shift_confirmed_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(waitlist_count__gte=0), name="shift_waitlist_count_nonnegative"
            ),
            models.UniqueConstraint(
                fields=["series", "series_date"], name="shift_one_occurrence_per_series_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d %H:%M})"

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.confirmed_count, 0)


class ClaimStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("confirmed")
    WAITLISTED = "waitlisted", _("waitlisted")
    CANCELLED = "cancelled", _("cancelled")
    COMPLETED = "completed", _("completed")
    NO_SHOW = "no_show", _("no show")


ACTIVE_CLAIM_STATUSES = (ClaimStatus.CONFIRMED, ClaimStatus.WAITLISTED)


class Claim(models.Model):
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="claims")
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claims"
    )
    status = models.CharField(max_length=12, choices=ClaimStatus.choices)
    # Ticket from Shift.waitlist_seq while waitlisted; the position shown is the rank of it.
    waitlist_ticket = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    late_cancellation = models.BooleanField(default=False)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    cancelled_by_shift = models.BooleanField(default=False)
    # Set when a coordinator cancelled the claim (not the volunteer): who, and the reason the
    # volunteer is told.
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancellation_reason = models.TextField(blank=True)
    # Minutes volunteered, set when the claim is completed (from check-in/out, or the shift's
    # times when a coordinator confirms attendance). Kept through erasure: figures need it.
    minutes_volunteered = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["volunteer", "status"], name="claim_volunteer_status"),
            models.Index(fields=["shift", "status", "waitlist_ticket"], name="claim_waitlist"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["shift", "volunteer"], name="claim_unique"),
            models.CheckConstraint(
                condition=Q(status="waitlisted", waitlist_ticket__isnull=False)
                | ~Q(status="waitlisted"),
                name="claim_waitlisted_has_ticket",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} on {self.shift} ({self.status})"


class ShiftChange(models.Model):
    """A record of a change to a shift, so volunteers can be told what moved."""

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    fields = models.JSONField(default=list)
    old_starts_at = models.DateTimeField(null=True, blank=True)
    old_ends_at = models.DateTimeField(null=True, blank=True)
    new_starts_at = models.DateTimeField(null=True, blank=True)
    new_ends_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.shift} changed {', '.join(self.fields)}"

    @property
    def time_changed(self) -> bool:
        return self.old_starts_at is not None


class StandInStatus(models.TextChoices):
    OPEN = "open", _("open")
    TAKEN = "taken", _("taken over")
    WITHDRAWN = "withdrawn", _("withdrawn")
    # The requester's claim was cancelled, the shift cancelled, or it started unanswered.
    CLOSED = "closed", _("closed")


class StandInRequest(models.Model):
    """A volunteer who cannot come asks someone to take over their confirmed claim. They keep
    the seat, and stay responsible for it, until someone accepts (see
    ``backend/shifts/services/stand_ins.py``)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="stand_in_requests")
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="stand_in_requests")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=StandInStatus.choices, default=StandInStatus.OPEN
    )
    created_at = models.DateTimeField()
    # When the worker asks the next wave of volunteers (None once it is no longer open).
    next_wave_at = models.DateTimeField(null=True, blank=True)
    waves = models.PositiveSmallIntegerField(default=0)
    # Nobody by 24 hours before the start: when the coordinators were told.
    unfilled_alerted_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The claim the stand-in holds now.
    taken_claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["next_wave_at"],
                name="stand_in_wave_due",
                condition=Q(status="open"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["claim"], condition=Q(status="open"), name="stand_in_one_open_per_claim"
            ),
        ]

    def __str__(self) -> str:
        return f"stand-in for claim {self.claim_id} ({self.status})"


class StandInAnswer(models.TextChoices):
    NONE = "", _("no answer yet")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")


class StandInAsk(models.Model):
    """One volunteer asked to take over one request (once: the unique pair)."""

    request = models.ForeignKey(StandInRequest, on_delete=models.CASCADE, related_name="asks")
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stand_in_asks"
    )
    wave = models.PositiveSmallIntegerField()
    asked_at = models.DateTimeField()
    answer = models.CharField(
        max_length=10, choices=StandInAnswer.choices, blank=True, default=StandInAnswer.NONE
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["volunteer", "-asked_at"], name="stand_in_ask_volunteer"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["request", "volunteer"], name="stand_in_ask_once"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id} asked for {self.request_id}"


class SwapStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("swapped")
    DECLINED = "declined", _("declined")
    WITHDRAWN = "withdrawn", _("withdrawn")
    CLOSED = "closed", _("closed")


class SwapRequest(models.Model):
    """A direct swap: the proposer offers their confirmed claim in exchange for the other
    volunteer's confirmed claim on another shift; the other volunteer confirms."""

    proposer_claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")
    partner_claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    partner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=10, choices=SwapStatus.choices, default=SwapStatus.OPEN)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposer_claim", "partner_claim"],
                condition=Q(status="open"),
                name="swap_one_open_per_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"swap {self.proposer_claim_id} <-> {self.partner_claim_id} ({self.status})"

"""Request and response shapes of the coordinators' toolkit: attendance, history, figures,
personal data, series and calendars. Output serializers run no queries of their own."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backend.allowances.models import HigherCapCategory
from backend.api.serializers import MIN_AGE_HELP, DateField, DateTimeField, IdField
from backend.shifts.models import Claim, ClaimStatus, SeriesFrequency, ShiftMode, ShiftVisibility


def _hours(minutes: int | None) -> float | None:
    return round(minutes / 60, 2) if minutes is not None else None


@extend_schema_field(
    {
        "type": "string",
        "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]+)?)?$",
        "example": "09:30",
    }
)
class LocalTimeField(serializers.TimeField):
    """A wall-clock time without a UTC offset (``09:30``, ``09:30:00``). OpenAPI's ``time``
    format means RFC 3339's full-time, which needs an offset, so the schema gives the pattern
    instead."""


class AttendanceSerializer(serializers.Serializer):
    """A claim's attendance: check-in and check-out times, status and hours."""

    id = serializers.IntegerField()
    shift = serializers.IntegerField(source="shift_id")
    volunteer_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    checked_in_at = serializers.DateTimeField(allow_null=True)
    checked_out_at = serializers.DateTimeField(allow_null=True)
    hours = serializers.SerializerMethodField()

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_hours(self, claim: Claim) -> float | None:
        return _hours(claim.minutes_volunteered)


class AttendanceRecordSerializer(serializers.Serializer):
    absent = serializers.ListField(
        child=IdField(), default=list, max_length=500, help_text="Claim ids of no-shows."
    )


class HistoryShiftSerializer(serializers.Serializer):
    claim_id = serializers.IntegerField(source="pk")
    shift = serializers.IntegerField(source="shift_id")
    title = serializers.CharField(source="shift.title")
    organisation_id = serializers.IntegerField(source="shift.organisation_id")
    organisation_name = serializers.CharField(source="shift.organisation.name")
    mode = serializers.ChoiceField(choices=ShiftMode.choices, source="shift.mode")
    starts_at = serializers.SerializerMethodField()
    ends_at = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    checked_in_at = serializers.DateTimeField(allow_null=True)
    checked_out_at = serializers.DateTimeField(allow_null=True)
    hours = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DateTimeField())
    def get_starts_at(self, claim: Claim) -> str:
        zone = ZoneInfo(claim.shift.organisation.time_zone)
        return claim.shift.starts_at.astimezone(zone).isoformat()

    @extend_schema_field(serializers.DateTimeField())
    def get_ends_at(self, claim: Claim) -> str:
        zone = ZoneInfo(claim.shift.organisation.time_zone)
        return claim.shift.ends_at.astimezone(zone).isoformat()

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_hours(self, claim: Claim) -> float | None:
        return _hours(claim.minutes_volunteered)


class HoursTotalSerializer(serializers.Serializer):
    organisation_id = serializers.IntegerField()
    organisation_name = serializers.CharField()
    year = serializers.IntegerField()
    shifts = serializers.IntegerField(help_text="Completed shifts.")
    hours = serializers.FloatField()


class HistorySerializer(serializers.Serializer):
    total_hours = serializers.FloatField()
    totals = HoursTotalSerializer(many=True, help_text="Per organisation and year.")
    shifts = HistoryShiftSerializer(many=True, source="claims", help_text="Newest first.")


class BlockSerializer(serializers.Serializer):
    membership_id = serializers.IntegerField(source="pk")
    user_id = serializers.IntegerField()
    no_show_count = serializers.IntegerField()
    claims_blocked_at = serializers.DateTimeField(allow_null=True)


# --- series and planning ---------------------------------------------------------------------


class SeriesSerializer(serializers.Serializer):
    """A recurring shift: the template, the rule, and (read only) its occurrences."""

    id = serializers.IntegerField(read_only=True)
    organisation = IdField(source="organisation_id")
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, default="")
    mode = serializers.ChoiceField(choices=ShiftMode.choices, default=ShiftMode.ON_SITE)
    address = serializers.CharField(max_length=300, allow_blank=True, default="")
    meeting_link = serializers.URLField(max_length=500, allow_blank=True, default="")
    capacity = serializers.IntegerField(min_value=1, max_value=500)
    waitlist_enabled = serializers.BooleanField(default=True)
    cancellation_deadline_hours = serializers.IntegerField(min_value=0, max_value=336, default=24)
    visibility = serializers.ChoiceField(
        choices=ShiftVisibility.choices, default=ShiftVisibility.MEMBERS
    )
    frequency = serializers.ChoiceField(choices=SeriesFrequency.choices)
    interval = serializers.IntegerField(min_value=1, max_value=52, default=1)
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        default=list,
        max_length=7,
        help_text="Weekly rules: 0 = Monday .. 6 = Sunday.",
    )
    starts_on = DateField()
    until = DateField()
    start_time = LocalTimeField(help_text="Local wall-clock time, e.g. 09:30.")
    end_time = LocalTimeField(help_text="Local; earlier than start_time = next day.")
    claims_open_at = DateTimeField(allow_null=True, default=None)
    min_age = serializers.IntegerField(
        min_value=16, max_value=99, allow_null=True, default=None, help_text=MIN_AGE_HELP
    )
    allowance_category = serializers.ChoiceField(
        choices=HigherCapCategory.choices, allow_blank=True, default=""
    )
    publish = serializers.BooleanField(default=False, write_only=True)
    occurrences = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_occurrences(self, series: Any) -> list[int]:
        return list(self.context.get("occurrences", []))


class SeriesUpdateSerializer(SeriesSerializer):
    organisation = None  # type: ignore[assignment]
    publish = None  # type: ignore[assignment]


class CopyWeekSerializer(serializers.Serializer):
    organisation = IdField()
    from_week = DateField(help_text="Any day of the week to copy (Monday to Sunday).")
    to_week = DateField(help_text="Any day of the week to copy to.")
    publish = serializers.BooleanField(default=False)


class CopyWeekResultSerializer(serializers.Serializer):
    created = serializers.ListField(child=serializers.IntegerField())


class CalendarLinksSerializer(serializers.Serializer):
    my_shifts = serializers.URLField()
    organisations = serializers.DictField(child=serializers.URLField())

"""Planning: recurring series and copying a week."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.core.errors import (
    NotFound,
    ValidationFailed,
)
from backend.organisations.models import (
    Organisation,
)
from backend.organisations.selectors import require_manager
from backend.shifts import locks
from backend.shifts.locks import lock_week_copies, transaction_retrying
from backend.shifts.models import (
    SeriesFrequency,
    Shift,
    ShiftSeries,
    ShiftStatus,
)
from backend.shifts.services.shifts import (
    EDITABLE_FIELDS,
    qualifications_of,
    shift_cancel,
    shift_create,
    shift_update,
)

# A series is created up to a year ahead at most.
MAX_SERIES_OCCURRENCES = 366
SERIES_TEMPLATE_FIELDS = (
    "title",
    "description",
    "mode",
    "address",
    "meeting_link",
    "capacity",
    "waitlist_enabled",
    "cancellation_deadline_hours",
    "visibility",
    "claims_open_at",
    "min_age",
    "allowance_category",
)
SERIES_RULE_FIELDS = ("frequency", "interval", "weekdays", "starts_on", "until")
SERIES_TIME_FIELDS = ("start_time", "end_time")


def local_times(
    day: dt.date, start_time: dt.time, duration: dt.timedelta, zone: ZoneInfo
) -> tuple[dt.datetime, dt.datetime]:
    """Start and end of a shift on ``day`` at a wall-clock time in ``zone``: a 14:00 shift
    is at 14:00 local time whether daylight saving time is on or off that day."""
    start = dt.datetime.combine(day, start_time)
    return start.replace(tzinfo=zone), (start + duration).replace(tzinfo=zone)


def series_dates(series: ShiftSeries) -> list[dt.date]:
    """The dates of the series' rule (RFC 5545 RRULE semantics, by python-dateutil)."""
    from dateutil import rrule

    frequency = rrule.DAILY if series.frequency == SeriesFrequency.DAILY else rrule.WEEKLY
    weekdays = sorted(set(series.weekdays)) if series.frequency == SeriesFrequency.WEEKLY else []
    rule = rrule.rrule(
        frequency,
        interval=series.interval,
        byweekday=weekdays or None,
        dtstart=dt.datetime.combine(series.starts_on, dt.time.min),
        until=dt.datetime.combine(series.until, dt.time.min),
    )
    # One more than allowed, so validation can tell a too-long series.
    return [moment.date() for moment in itertools.islice(rule, MAX_SERIES_OCCURRENCES + 1)]


def _duration(start_time: dt.time, end_time: dt.time) -> dt.timedelta:
    """An end time earlier than (or equal to) the start time is on the next day."""
    start = dt.datetime.combine(dt.date.min, start_time)
    end = dt.datetime.combine(dt.date.min, end_time)
    if end <= start:
        end += dt.timedelta(days=1)
    return end - start


def _validate_series(series: ShiftSeries, dates: list[dt.date]) -> None:
    errors: dict[str, list[str]] = {}
    if series.frequency not in SeriesFrequency.values:
        errors["frequency"] = [_("Choose daily or weekly.")]
    if not 1 <= series.interval <= 52:
        errors["interval"] = [_("Give an interval between 1 and 52.")]
    if any(not isinstance(d, int) or not 0 <= d <= 6 for d in series.weekdays):
        errors["weekdays"] = [_("Weekdays are 0 (Monday) to 6 (Sunday).")]
    if series.until < series.starts_on:
        errors["until"] = [_("The series must end on or after its first day.")]
    elif len(dates) > MAX_SERIES_OCCURRENCES:
        errors["until"] = [_("A series has at most 366 occurrences.")]
    elif not dates:
        errors["until"] = [_("This rule has no dates between the first and the last day.")]
    if errors:
        raise ValidationFailed(fields=errors)


def _occurrence_values(series: ShiftSeries) -> dict[str, Any]:
    return {name: getattr(series, name) for name in SERIES_TEMPLATE_FIELDS}


@transaction.atomic
def series_create(
    *,
    actor: User,
    organisation: Organisation,
    title: str,
    capacity: int,
    frequency: str,
    starts_on: dt.date,
    until: dt.date,
    start_time: dt.time,
    end_time: dt.time,
    weekdays: list[int] | None = None,
    interval: int = 1,
    required_qualification_ids: Iterable[int] = (),
    publish: bool = False,
    **template: Any,
) -> ShiftSeries:
    """Create a recurring shift and its occurrences (those still in the future).

    Every occurrence goes through ``shift_create``, so it is validated like any shift.
    """
    require_manager(user=actor, organisation_id=organisation.pk)
    unknown = set(template) - set(SERIES_TEMPLATE_FIELDS)
    if unknown:
        raise ValidationFailed(fields={name: [_("Unknown field.")] for name in unknown})
    series = ShiftSeries(
        organisation=organisation,
        title=title,
        capacity=capacity,
        frequency=frequency,
        interval=interval,
        weekdays=sorted(set(weekdays or [])),
        starts_on=starts_on,
        until=until,
        start_time=start_time,
        duration_minutes=int(_duration(start_time, end_time).total_seconds() // 60),
        created_by=actor,
        **template,
    )
    dates = series_dates(series) if series.until >= series.starts_on else []
    _validate_series(series, dates)
    series.save()
    qualification_ids = list(required_qualification_ids)
    if qualification_ids:
        series.required_qualifications.set(qualifications_of(organisation, qualification_ids))
    _series_add_occurrences(actor, series, dates, publish=publish)
    return series


def _upcoming(
    dates: Iterable[dt.date], start_time: dt.time, duration: dt.timedelta, zone: ZoneInfo
) -> list[dt.date]:
    """The dates whose occurrence starts in the future: a series started today skips what
    already began."""
    now = timezone.now()
    return [day for day in dates if local_times(day, start_time, duration, zone)[0] > now]


def series_occurrence_dates(
    *,
    organisation: Organisation,
    frequency: str,
    starts_on: dt.date,
    until: dt.date,
    start_time: dt.time,
    end_time: dt.time,
    weekdays: list[int] | None = None,
    interval: int = 1,
) -> list[dt.date]:
    """The dates ``series_create`` would make shifts on with this rule (those still ahead),
    without creating anything: what the planning page shows before a series is saved.
    Refuses a rule ``series_create`` refuses (``ValidationFailed``)."""
    series = ShiftSeries(
        organisation=organisation,
        frequency=frequency,
        interval=interval,
        weekdays=sorted(set(weekdays or [])),
        starts_on=starts_on,
        until=until,
        start_time=start_time,
    )
    dates = series_dates(series) if until >= starts_on else []
    _validate_series(series, dates)
    zone = ZoneInfo(organisation.time_zone)
    return _upcoming(dates, start_time, _duration(start_time, end_time), zone)


def _series_add_occurrences(
    actor: User, series: ShiftSeries, dates: Iterable[dt.date], *, publish: bool
) -> list[Shift]:
    zone = ZoneInfo(series.organisation.time_zone)
    duration = dt.timedelta(minutes=series.duration_minutes)
    qualification_ids = list(series.required_qualifications.values_list("pk", flat=True))
    created = []
    for day in _upcoming(dates, series.start_time, duration, zone):
        starts_at, ends_at = local_times(day, series.start_time, duration, zone)
        created.append(
            shift_create(
                actor=actor,
                organisation=series.organisation,
                starts_at=starts_at,
                ends_at=ends_at,
                required_qualification_ids=qualification_ids,
                publish=publish,
                series=series,
                series_date=day,
                **_occurrence_values(series),
            )
        )
    return created


@transaction_retrying
def series_update(
    *,
    actor: User,
    series_id: int,
    required_qualification_ids: Iterable[int] | None = None,
    **changes: Any,
) -> ShiftSeries:
    """Change a whole series: its future occurrences follow (except those edited on their
    own). A changed rule cancels occurrences whose date it no longer has and adds the new
    ones; claims on occurrences that stay are kept, as with any shift change."""
    allowed = set(SERIES_TEMPLATE_FIELDS) | set(SERIES_RULE_FIELDS) | set(SERIES_TIME_FIELDS)
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(
            fields={name: [_("This field cannot be changed.")] for name in unknown}
        )
    # Its occurrences' waitlists may be promoted (a raised capacity): their profiles first,
    # then the series, so two edits of the same series run one after the other.
    locks.lock_waitlists(
        Shift.objects.filter(series_id=series_id, starts_at__gt=timezone.now()).values_list(
            "pk", flat=True
        )
    )
    series = locks.lock_series(series_id)
    require_manager(user=actor, organisation_id=series.organisation_id)
    zone = ZoneInfo(series.organisation.time_zone)
    old_start, old_duration = series.start_time, series.duration_minutes
    start_time = changes.pop("start_time", series.start_time)
    end_default = (
        dt.datetime.combine(dt.date.min, old_start) + dt.timedelta(minutes=old_duration)
    ).time()
    end_time = changes.pop("end_time", end_default)
    series.start_time = start_time
    series.duration_minutes = int(_duration(start_time, end_time).total_seconds() // 60)
    if "weekdays" in changes:
        changes["weekdays"] = sorted(set(changes["weekdays"]))
    for name, value in changes.items():
        setattr(series, name, value)
    dates = series_dates(series) if series.until >= series.starts_on else []
    _validate_series(series, dates)
    series.save()
    if required_qualification_ids is not None:
        series.required_qualifications.set(
            qualifications_of(series.organisation, required_qualification_ids)
        )

    now = timezone.now()
    future = list(
        Shift.objects.filter(series=series, starts_at__gt=now).exclude(status=ShiftStatus.CANCELLED)
    )
    wanted = set(dates)
    duration = dt.timedelta(minutes=series.duration_minutes)
    for shift in future:
        if shift.series_detached:
            continue
        if shift.series_date not in wanted:
            shift_cancel(actor=actor, shift_id=shift.pk)
            continue
        starts_at, ends_at = local_times(shift.series_date, series.start_time, duration, zone)
        shift_update(
            actor=actor,
            shift_id=shift.pk,
            keep_in_series=True,
            required_qualification_ids=required_qualification_ids,
            starts_at=starts_at,
            ends_at=ends_at,
            **_occurrence_values(series),
        )
    have = set(Shift.objects.filter(series=series).values_list("series_date", flat=True))
    # New dates are published if the series' future occurrences are.
    publish_new = any(s.status == ShiftStatus.PUBLISHED for s in future)
    _series_add_occurrences(actor, series, sorted(wanted - have), publish=publish_new)
    return series


@transaction_retrying
def series_cancel(*, actor: User, series_id: int) -> ShiftSeries:
    """Cancel every future occurrence of a series (past ones stay, with their hours)."""
    try:
        series = ShiftSeries.objects.get(pk=series_id)
    except ShiftSeries.DoesNotExist:
        raise NotFound() from None
    require_manager(user=actor, organisation_id=series.organisation_id)
    upcoming = Shift.objects.filter(series=series, starts_at__gt=timezone.now()).exclude(
        status=ShiftStatus.CANCELLED
    )
    for shift_id in list(upcoming.values_list("pk", flat=True)):
        shift_cancel(actor=actor, shift_id=shift_id)
    return series


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class WeekCopy:
    """What copying a week did: the new shifts, and how many shifts of the week were left
    out because their copy was already there (so a second copy of a week creates nothing)."""

    created: list[Shift]
    already_there: int
    # Shifts left out because their copy would start in the past (copying to this week).
    passed: int = 0


@transaction_retrying
def week_copy(
    *,
    actor: User,
    organisation: Organisation,
    from_week: dt.date,
    to_week: dt.date,
    publish: bool = False,
) -> WeekCopy:
    """Copy every shift of one week (Monday to Sunday, local time; not the cancelled ones)
    to another week, at the same local wall-clock times. All or nothing.

    Idempotent: a shift whose copy is already in the target week (same title, same local
    start and end, not cancelled) is left out, so copying the same week twice creates
    nothing the second time. Two identical shifts in the week need two copies."""
    require_manager(user=actor, organisation_id=organisation.pk)
    source, target = week_start(from_week), week_start(to_week)
    if source == target:
        raise ValidationFailed(fields={"to_week": [_("Choose another week to copy to.")]})
    zone = ZoneInfo(organisation.time_zone)
    now = timezone.now()
    if target + dt.timedelta(days=7) <= now.astimezone(zone).date():
        raise ValidationFailed(
            fields={"to_week": [_("That week is over: copy to this week or a later one.")]}
        )
    lock_week_copies(organisation.pk)
    days = target - source

    def week(first: dt.date) -> QuerySet[Shift]:
        begin = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
        end = dt.datetime.combine(first + dt.timedelta(days=7), dt.time.min, tzinfo=zone)
        return Shift.objects.filter(
            organisation=organisation, starts_at__gte=begin, starts_at__lt=end
        ).exclude(status=ShiftStatus.CANCELLED)

    originals = week(source).prefetch_related("required_qualifications").order_by("starts_at", "id")
    # A multiset: each shift already in the target week stands for one copy.
    there = Counter(
        (title, starts_at.astimezone(dt.UTC), ends_at.astimezone(dt.UTC))
        for title, starts_at, ends_at in week(target).values_list("title", "starts_at", "ends_at")
    )

    def moved(moment: dt.datetime | None) -> dt.datetime | None:
        if moment is None:
            return None
        local = moment.astimezone(zone).replace(tzinfo=None) + days
        return local.replace(tzinfo=zone)

    copies = []
    already_there = passed = 0
    for shift in originals:
        values = {name: getattr(shift, name) for name in EDITABLE_FIELDS}
        values.update(
            starts_at=moved(shift.starts_at),
            ends_at=moved(shift.ends_at),
            claims_open_at=moved(shift.claims_open_at),
        )
        key = (
            shift.title,
            values["starts_at"].astimezone(dt.UTC),
            values["ends_at"].astimezone(dt.UTC),
        )
        if there[key]:
            there[key] -= 1
            already_there += 1
            continue
        if values["starts_at"] <= now:
            passed += 1
            continue
        copies.append(
            shift_create(
                actor=actor,
                organisation=organisation,
                required_qualification_ids=[q.pk for q in shift.required_qualifications.all()],
                publish=publish,
                **values,
            )
        )
    return WeekCopy(created=copies, already_there=already_there, passed=passed)


def shifts_copy_week(
    *,
    actor: User,
    organisation: Organisation,
    from_week: dt.date,
    to_week: dt.date,
    publish: bool = False,
) -> list[Shift]:
    """``week_copy``, returning only the new shifts (what the API answers with)."""
    return week_copy(
        actor=actor,
        organisation=organisation,
        from_week=from_week,
        to_week=to_week,
        publish=publish,
    ).created

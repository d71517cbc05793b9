"""When a message may go out: the reminder offsets and the quiet hours (pure functions)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

DEFAULT_OFFSETS_MINUTES = (24 * 60, 2 * 60)
# How long after the end of a shift the follow-up asks how it went.
FOLLOW_UP_DELAY = dt.timedelta(hours=1)
# A follow-up that could not go out within this time after the shift is not sent any more.
FOLLOW_UP_EXPIRY = dt.timedelta(days=3)

QUIET_START = dt.time(22, 0)
QUIET_END = dt.time(8, 0)
# Messages about a shift starting this soon are sent during quiet hours too.
URGENT_WITHIN = dt.timedelta(hours=12)
# A reminder moved to the morning must still come at least this long before the shift.
MORNING_MARGIN = dt.timedelta(hours=1)
EVENING_LAST = dt.time(21, 59)


def in_quiet_hours(moment: dt.datetime, zone: ZoneInfo) -> bool:
    local = moment.astimezone(zone).time()
    return local >= QUIET_START or local < QUIET_END


def _morning_after(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """08:00 local at the end of the quiet period ``moment`` is in."""
    local = moment.astimezone(zone)
    day = local.date() + dt.timedelta(days=1) if local.time() >= QUIET_START else local.date()
    return dt.datetime.combine(day, QUIET_END, tzinfo=zone)


def _evening_before(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """21:59 local at the start of the quiet period ``moment`` is in."""
    local = moment.astimezone(zone)
    day = local.date() if local.time() >= QUIET_START else local.date() - dt.timedelta(days=1)
    return dt.datetime.combine(day, EVENING_LAST, tzinfo=zone)


def reminder_due(
    scheduled_for: dt.datetime, shift_start: dt.datetime, zone: ZoneInfo
) -> dt.datetime:
    """When a reminder planned for ``scheduled_for`` goes out: in quiet hours it moves to
    08:00 if that is still at least an hour before the shift, else to 21:59 the evening
    before."""
    if not in_quiet_hours(scheduled_for, zone):
        return scheduled_for
    morning = _morning_after(scheduled_for, zone)
    if morning <= shift_start - MORNING_MARGIN:
        return morning
    return _evening_before(scheduled_for, zone)


def deferred_for_quiet_hours(
    now: dt.datetime, shift_start: dt.datetime, zone: ZoneInfo
) -> dt.datetime | None:
    """The moment to send instead of ``now``, or None to send now: no message between 22:00
    and 08:00 unless it concerns a shift starting within the next 12 hours."""
    if not in_quiet_hours(now, zone) or now <= shift_start <= now + URGENT_WITHIN:
        return None
    return _morning_after(now, zone)


def help_now_deferred(
    now: dt.datetime, shift_start: dt.datetime, zone: ZoneInfo
) -> dt.datetime | None:
    """A help-now offer in quiet hours waits for 08:00, unless its shift starts before then
    (a night shift: the only time it can still help). None: send now."""
    if not in_quiet_hours(now, zone):
        return None
    morning = _morning_after(now, zone)
    return None if shift_start < morning else morning


def quiet_hours_deferral(
    kind: str, now: dt.datetime, shift_start: dt.datetime, zone: ZoneInfo
) -> dt.datetime | None:
    """The moment to send a message of ``kind`` instead of ``now``, or None to send now.

    Help-now offers are always about a shift within hours, so the 12-hour exception would let
    every one through at night: they have their own (``help_now_deferred``). The weekly digest
    concerns no shift in particular and always waits for the morning."""
    if kind == "help_now":
        return help_now_deferred(now, shift_start, zone)
    if kind == "digest":
        return _morning_after(now, zone) if in_quiet_hours(now, zone) else None
    return deferred_for_quiet_hours(now, shift_start, zone)

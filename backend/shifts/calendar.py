"""iCalendar feeds (RFC 5545): a volunteer's own shifts and an organisation's published shifts.

Times carry the organisation's time zone (TZID with a VTIMEZONE), so calendar apps keep a 14:00
shift at 14:00 across daylight-saving changes. Cancelled shifts stay in the feed with
STATUS:CANCELLED, so subscribed calendars show them as cancelled instead of silently dropping
them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.db.models import Q
from icalendar import Calendar, Event

from backend.accounts.models import User
from backend.organisations.models import Organisation
from backend.shifts.models import Claim, ClaimStatus, Shift, ShiftStatus
from backend.shifts.selectors import NOWHERE, WhereToGo, where_to_go

# Feeds show shifts that ended at most this long ago, and everything ahead.
PAST_WINDOW = dt.timedelta(days=60)
PRODID = "-//Inzet//Inzet shifts//EN"


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(shift: Shift, *, now: dt.datetime, cancelled: bool, where: WhereToGo) -> Event:
    zone = ZoneInfo(shift.organisation.time_zone)
    event = Event()
    event.add("uid", f"shift-{shift.pk}@inzet")
    event.add("dtstamp", now)
    event.add("last-modified", shift.updated_at)
    event.add("dtstart", shift.starts_at.astimezone(zone))
    event.add("dtend", shift.ends_at.astimezone(zone))
    event.add("summary", f"{shift.title} ({shift.organisation.name})")
    if shift.description:
        event.add("description", shift.description)
    if where.address:
        event.add("location", where.address)
    elif where.meeting_link:
        event.add("location", where.meeting_link)
        event.add("url", where.meeting_link)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def _render(calendar: Calendar, events: Iterable[Event]) -> bytes:
    for event in events:
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def volunteer_calendar(*, user: User, now: dt.datetime) -> bytes:
    """The volunteer's confirmed (and past attended) shifts; shifts cancelled by the
    organisation appear as cancelled."""
    attended = Q(status__in=[ClaimStatus.CONFIRMED, ClaimStatus.COMPLETED, ClaimStatus.NO_SHOW])
    claims = (
        Claim.objects.filter(attended | Q(cancelled_by_shift=True))
        .filter(volunteer=user, shift__ends_at__gt=now - PAST_WINDOW)
        .select_related("shift__organisation")
    )
    return _render(
        _calendar("Inzet"),
        (
            _event(
                claim.shift,
                now=now,
                cancelled=claim.shift.status == ShiftStatus.CANCELLED,
                where=where_to_go(claim.shift, claim_status=claim.status, manages=False),
            )
            for claim in claims.order_by("shift__starts_at", "id")
        ),
    )


def organisation_calendar(*, organisation: Organisation, now: dt.datetime) -> bytes:
    """The organisation's published shifts, cancelled ones as cancelled (no addresses or
    meeting links: see ``where_to_go``)."""
    shifts = (
        Shift.objects.filter(
            organisation=organisation,
            status__in=[ShiftStatus.PUBLISHED, ShiftStatus.CANCELLED],
            ends_at__gt=now - PAST_WINDOW,
        )
        .select_related("organisation")
        .order_by("starts_at", "id")
    )
    return _render(
        _calendar(organisation.name),
        (
            _event(
                shift,
                now=now,
                cancelled=shift.status == ShiftStatus.CANCELLED,
                # A feed of everything on offer: where to go is for those confirmed.
                where=NOWHERE,
            )
            for shift in shifts
        ),
    )

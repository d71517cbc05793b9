"""Reads for the coordinators' live board: the snapshot and single shift rows.

The websocket consumer sends a snapshot on connect and on resync; the event publisher sends the
row of the one shift an event is about. Both use the same row shape, so the page renders them
with the same code. Each read is a constant number of queries, whatever the number of shifts
or claims.
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet

from backend.organisations.models import Organisation
from backend.shifts.models import Claim, ClaimStatus, Shift, ShiftStatus

DEFAULT_DAYS = 8  # today and the next 7 days
MAX_DAYS = 31


class BoardVolunteer(TypedDict):
    claim_id: int
    name: str
    status: str  # confirmed | waitlisted
    checked_in_at: str | None
    checked_out_at: str | None


class BoardShift(TypedDict):
    id: int
    title: str
    mode: str
    status: str
    starts_at: str
    ends_at: str
    capacity: int
    confirmed_count: int
    waitlist_count: int
    volunteers: list[BoardVolunteer]


class BoardWindow(TypedDict):
    start: str
    end: str


class BoardOrganisation(TypedDict):
    id: int
    name: str
    slug: str
    time_zone: str


class BoardSnapshot(TypedDict):
    organisation: BoardOrganisation
    window: BoardWindow
    shifts: list[BoardShift]


def board_window(
    *, organisation: Organisation, now: dt.datetime, days: int = DEFAULT_DAYS
) -> tuple[dt.datetime, dt.datetime]:
    """From local midnight today, ``days`` days long, in the organisation's time zone."""
    days = max(1, min(days, MAX_DAYS))
    zone = ZoneInfo(organisation.time_zone)
    today = now.astimezone(zone).date()
    start = dt.datetime.combine(today, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(today + dt.timedelta(days=days), dt.time.min, tzinfo=zone)
    return start, end


def _board_shifts() -> QuerySet[Shift]:
    active = (
        Claim.objects.filter(status__in=[ClaimStatus.CONFIRMED, ClaimStatus.WAITLISTED])
        .select_related("volunteer__profile")
        .order_by("status", "waitlist_ticket", "confirmed_at", "id")
    )
    return (
        Shift.objects.filter(status__in=[ShiftStatus.PUBLISHED, ShiftStatus.CANCELLED])
        .only(
            "id",
            "title",
            "mode",
            "status",
            "starts_at",
            "ends_at",
            "capacity",
            "confirmed_count",
            "waitlist_count",
        )
        .prefetch_related(Prefetch("claims", queryset=active, to_attr="active_claims"))
        .order_by("starts_at", "id")
    )


def _volunteer_name(claim: Claim) -> str:
    profile = getattr(claim.volunteer, "profile", None)
    if profile is not None and profile.display_name:
        return profile.display_name
    return str(claim.volunteer)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _row(shift: Shift) -> BoardShift:
    claims: list[Claim] = getattr(shift, "active_claims", [])
    return {
        "id": shift.pk,
        "title": shift.title,
        "mode": shift.mode,
        "status": shift.status,
        "starts_at": shift.starts_at.isoformat(),
        "ends_at": shift.ends_at.isoformat(),
        "capacity": shift.capacity,
        "confirmed_count": shift.confirmed_count,
        "waitlist_count": shift.waitlist_count,
        "volunteers": [
            {
                "claim_id": claim.pk,
                "name": _volunteer_name(claim),
                "status": claim.status,
                "checked_in_at": _iso(claim.checked_in_at),
                "checked_out_at": _iso(claim.checked_out_at),
            }
            for claim in claims
        ],
    }


def board_snapshot(
    *, organisation: Organisation, start: dt.datetime, end: dt.datetime
) -> BoardSnapshot:
    """Published and cancelled shifts starting in [start, end), with their volunteers.

    Two queries: the shifts, and the active claims of all of them with names.
    """
    shifts = _board_shifts().filter(
        organisation_id=organisation.pk, starts_at__gte=start, starts_at__lt=end
    )
    return {
        "organisation": {
            "id": organisation.pk,
            "name": organisation.name,
            "slug": organisation.slug,
            "time_zone": organisation.time_zone,
        },
        "window": {"start": start.isoformat(), "end": end.isoformat()},
        "shifts": [_row(shift) for shift in shifts],
    }


def board_shift(*, shift_id: int) -> BoardShift | None:
    """The board row of one shift (two queries); None for a draft or a deleted shift."""
    shift = _board_shifts().filter(pk=shift_id).first()
    return _row(shift) if shift is not None else None

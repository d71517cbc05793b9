"""Reads about shifts and claims."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TypedDict
from zoneinfo import ZoneInfo

from django.db.models import F, Max, QuerySet, Window
from django.db.models.functions import RowNumber

from backend.accounts.models import User
from backend.core.errors import NoClaim
from backend.shifts.listing import visible_shifts
from backend.shifts.models import (
    Claim,
    ClaimStatus,
    Shift,
    ShiftMode,
    ShiftStatus,
    ShiftVisibility,
)


def shifts_visible_to(*, user: User) -> QuerySet[Shift]:
    """Published shifts of the user's organisations and public ones; every shift of the
    organisations they manage (drafts and cancelled ones included)."""
    return visible_shifts(viewer_id=user.pk, is_staff=user.is_staff)


def own_claim_id(*, shift: Shift, user: User) -> int:
    """The id of ``user``'s claim on ``shift`` (whatever its status); ``NoClaim`` if none."""
    claim_id = (
        Claim.objects.filter(shift=shift, volunteer=user).values_list("pk", flat=True).first()
    )
    if claim_id is None:
        raise NoClaim()
    return claim_id


def waitlist_position(*, claim: Claim) -> int | None:
    """1 for the first in line. None when the claim is not waitlisted."""
    if claim.status != ClaimStatus.WAITLISTED or claim.waitlist_ticket is None:
        return None
    return Claim.objects.filter(
        shift_id=claim.shift_id,
        status=ClaimStatus.WAITLISTED,
        waitlist_ticket__lte=claim.waitlist_ticket,
    ).count()


def waitlist_positions(*, shift_ids: list[int]) -> dict[int, int]:
    """Claim id -> position (1 = first in line) for every waitlisted claim of these shifts,
    in one query."""
    if not shift_ids:
        return {}
    rows = (
        Claim.objects.filter(shift_id__in=shift_ids, status=ClaimStatus.WAITLISTED)
        .annotate(
            position=Window(
                RowNumber(), partition_by=[F("shift_id")], order_by=F("waitlist_ticket").asc()
            )
        )
        .values_list("id", "position")
    )
    return dict(rows)


class HoursTotal(TypedDict):
    organisation_id: int
    organisation_name: str
    year: int
    shifts: int
    hours: float
    # The same, exact: the hours are rounded, a sum of them may be a minute out.
    minutes: int


class VolunteerHistory(TypedDict):
    claims: list[Claim]
    totals: list[HoursTotal]
    total_hours: float


def volunteer_history(*, user: User, now: dt.datetime) -> VolunteerHistory:
    """The volunteer's past shifts (ended, claimed and not cancelled) and hours volunteered per
    organisation and per year (in the organisation's time zone), in one query."""
    claims = list(
        Claim.objects.filter(
            volunteer=user,
            shift__ends_at__lte=now,
            status__in=[ClaimStatus.COMPLETED, ClaimStatus.NO_SHOW, ClaimStatus.CONFIRMED],
        )
        .select_related("shift__organisation")
        .order_by("-shift__starts_at", "-id")
    )
    sums: dict[tuple[int, int], HoursTotal] = {}
    for claim in claims:
        if claim.status != ClaimStatus.COMPLETED:
            continue
        organisation = claim.shift.organisation
        year = claim.shift.starts_at.astimezone(ZoneInfo(organisation.time_zone)).year
        total = sums.setdefault(
            (organisation.pk, year),
            {
                "organisation_id": organisation.pk,
                "organisation_name": organisation.name,
                "year": year,
                "shifts": 0,
                "hours": 0.0,
                "minutes": 0,
            },
        )
        total["shifts"] += 1
        total["minutes"] += claim.minutes_volunteered or 0
    totals = sorted(sums.values(), key=lambda t: (-t["year"], t["organisation_name"]))
    for total in totals:
        total["hours"] = round(total["minutes"] / 60, 2)
    return {
        "claims": claims,
        "totals": totals,
        "total_hours": round(sum(t["hours"] for t in totals), 2),
    }


# Who may see where a shift takes place: its managers, and volunteers whose claim on it is
# confirmed (or, afterwards, completed). In home care the address is a client's home, and a
# meeting link let out opens the session to anyone: a waitlisted volunteer, a volunteer
# browsing, a no-show or the organisation's calendar feed learn neither.
REVEALING_STATUSES = frozenset({ClaimStatus.CONFIRMED, ClaimStatus.COMPLETED})


@dataclass(frozen=True)
class WhereToGo:
    address: str | None
    meeting_link: str | None


NOWHERE = WhereToGo(address=None, meeting_link=None)


def where_to_go(shift: Shift, *, claim_status: str | None, manages: bool) -> WhereToGo:
    """The address and meeting link this viewer may see: the one place every interface asks
    (API serializers, the bot, calendar feeds, the worker's messages)."""
    if manages:
        return WhereToGo(address=shift.address or None, meeting_link=shift.meeting_link or None)
    if claim_status not in REVEALING_STATUSES:
        return NOWHERE
    if shift.mode == ShiftMode.ON_SITE:
        return WhereToGo(address=shift.address or None, meeting_link=None)
    return WhereToGo(address=None, meeting_link=shift.meeting_link or None)


def last_shift_starts(*, organisation_id: int, now: dt.datetime) -> dict[int, dt.datetime]:
    """Volunteer id -> the start of their most recent shift of the organisation that has
    begun, with a claim confirmed or completed (not cancelled, not a no-show), in one query."""
    rows = (
        Claim.objects.filter(
            shift__organisation_id=organisation_id,
            shift__starts_at__lt=now,
            status__in=[ClaimStatus.CONFIRMED, ClaimStatus.COMPLETED],
        )
        .exclude(shift__status=ShiftStatus.CANCELLED)
        .values("volunteer_id")
        .annotate(last=Max("shift__starts_at"))
        .values_list("volunteer_id", "last")
    )
    return dict(rows)


# --- the public page ---------------------------------------------------------------------------

# The public page lists at most this many upcoming shifts (and says how many more there are).
PUBLIC_PAGE_LIMIT = 60
_POSTCODE = re.compile(r"^\s*(?:[A-Z]{1,2}-)?\d{4,5}\s+")


def town_of(address: str) -> str:
    """The town of an address written the Belgian way ("Kerkstraat 1, 9000 Gent" -> "Gent"):
    its last part without the postcode. What a public reader may know of an on-site shift;
    the street is for confirmed volunteers only (``where_to_go``)."""
    parts = [part.strip() for part in address.split(",") if part.strip()]
    if len(parts) < 2:
        return ""
    return _POSTCODE.sub("", parts[-1]).strip()


@dataclass(frozen=True)
class PublicShift:
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    online: bool
    town: str
    seats_left: int
    waitlist_open: bool


def public_shifts(*, organisation_id: int, now: dt.datetime) -> tuple[list[PublicShift], int]:
    """The organisation's upcoming public shifts for its public page, soonest first, and how
    many more there are beyond ``PUBLIC_PAGE_LIMIT``: never an address, a link or a name.
    Two queries."""
    upcoming = Shift.objects.filter(
        organisation_id=organisation_id,
        status=ShiftStatus.PUBLISHED,
        visibility=ShiftVisibility.PUBLIC,
        starts_at__gt=now,
    )
    rows = list(
        upcoming.order_by("starts_at", "pk").only(
            "title",
            "starts_at",
            "ends_at",
            "mode",
            "address",
            "capacity",
            "confirmed_count",
            "waitlist_enabled",
        )[:PUBLIC_PAGE_LIMIT]
    )
    more = upcoming.count() - len(rows) if len(rows) == PUBLIC_PAGE_LIMIT else 0
    return [
        PublicShift(
            title=shift.title,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
            online=shift.mode == ShiftMode.ONLINE,
            town="" if shift.mode == ShiftMode.ONLINE else town_of(shift.address),
            seats_left=shift.seats_left,
            waitlist_open=shift.waitlist_enabled and shift.seats_left == 0,
        )
        for shift in rows
    ], more

"""Reads for the coordinators' live board: the snapshot, shift rows by id, and a shift's
detail panel (``panel_read``).

The websocket consumer sends a snapshot on connect and on resync; the event publisher sends
with each event the row of the shift it is about (read for a whole batch of events at once,
by statements compiled once per process).
Both use the same row shape, so the page renders them with the same code. Each read is a
constant number of queries, whatever the number of shifts or claims.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple, Protocol, TypedDict
from zoneinfo import ZoneInfo

from django.db import router
from django.db.models import Case, F, IntegerField, Prefetch, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from backend.accounts.models import User
from backend.core.compiled import CompiledQuery, Placeholder
from backend.organisations.models import Membership, Organisation
from backend.shifts.models import (
    Claim,
    ClaimStatus,
    Shift,
    ShiftStatus,
    StandInRequest,
    StandInStatus,
)
from backend.shifts.selectors import where_to_go
from backend.shifts.timing import check_in_open, check_out_open

DEFAULT_DAYS = 8  # today and the next 7 days
MAX_DAYS = 31


# Claims a board shows: the active ones, and the attendance record of shifts that ran
# (checked out or confirmed by a coordinator: completed; did not come: no_show).
# How many of a shift's waitlist a board row names (the board says how many more wait).
WAITLIST_SHOWN = 20

BOARD_CLAIM_STATUSES = (
    ClaimStatus.CONFIRMED,
    ClaimStatus.WAITLISTED,
    ClaimStatus.COMPLETED,
    ClaimStatus.NO_SHOW,
)


class BoardVolunteer(TypedDict):
    claim_id: int
    name: str
    status: str  # confirmed | waitlisted | completed | no_show
    # What the board says about them: waitlisted | not_checked_in | checked_in |
    # checked_out | attended (completed by a coordinator, no check-out) | no_show
    attendance: str
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
    # Set while claiming has not opened yet (the board says "opens at HH:MM").
    claims_open_at: str | None
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


# The shift fields a board row shows.
SHIFT_FIELDS = (
    "id",
    "title",
    "mode",
    "status",
    "starts_at",
    "ends_at",
    "capacity",
    "confirmed_count",
    "waitlist_count",
    "claims_open_at",
)


def _board_shifts() -> QuerySet[Shift]:
    return Shift.objects.filter(status__in=[ShiftStatus.PUBLISHED, ShiftStatus.CANCELLED]).order_by(
        "starts_at", "id"
    )


class AttendanceFacts(Protocol):
    """What the attendance state is read from: a Claim, or a board row's claim values."""

    @property
    def status(self) -> str: ...
    @property
    def checked_in_at(self) -> dt.datetime | None: ...
    @property
    def checked_out_at(self) -> dt.datetime | None: ...


class _ShownClaim(NamedTuple):
    shift_id: int
    id: int
    status: str
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    display_name: str | None
    email: str | None
    volunteer_id: int


# What each of _ShownClaim's fields is read from, in order.
SHOWN_CLAIM_LOOKUPS = (
    "shift_id",
    "id",
    "status",
    "checked_in_at",
    "checked_out_at",
    "volunteer__profile__display_name",
    "volunteer__email",
    "volunteer_id",
)


def _shown_claims_query(shifts: QuerySet[Shift, int] | list[int]) -> QuerySet[Claim, tuple]:
    """The claims a board shows for each shift of ``shifts`` (a subquery of shift ids, or the
    ids): everyone who had a seat first (in the order they got it), then the first
    ``WAITLIST_SHOWN`` of the waitlist (the row's ``waitlist_count`` says how many wait in
    all), as ``_ShownClaim`` values. Without the cap a popular shift's every event read and
    sent its whole waitlist: a claim on a shift with 2,000 waiting cost several times a claim
    on an empty one (bench/claims.py, hot rounds)."""
    on_waitlist = Case(
        When(status=ClaimStatus.WAITLISTED, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    place_in_line = Window(
        RowNumber(),
        partition_by=[F("shift_id"), on_waitlist],
        order_by=[F("waitlist_ticket").asc(), F("id").asc()],
    )
    return (
        Claim.objects.filter(shift_id__in=shifts, status__in=BOARD_CLAIM_STATUSES)
        .annotate(
            waiting_place=Case(
                When(status=ClaimStatus.WAITLISTED, then=place_in_line),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .filter(waiting_place__lte=WAITLIST_SHOWN)
        .order_by(on_waitlist, "waitlist_ticket", "confirmed_at", "id")
        .values_list(*SHOWN_CLAIM_LOOKUPS)
    )


def _by_shift(rows: Iterable[tuple[Any, ...]]) -> dict[int, list[_ShownClaim]]:
    claims: dict[int, list[_ShownClaim]] = defaultdict(list)
    for row in rows:
        claim = _ShownClaim(*row)
        claims[claim.shift_id].append(claim)
    return claims


# The board rows of a batch of events are read by id for every batch the event publisher
# sends, so those two queries are built and compiled once per process for each number of
# ids in _ID_SLOTS (the ids padded to the next slot by repeating the last one; longer lists
# in chunks), then run with the ids as parameters. Built and compiled by the ORM each time,
# they cost the publishing thread about five times what the claim itself costs
# (bench/claim_instructions.py, BENCHMARKS.md 2026-12-02).
_ID_SLOTS = (1, 2, 4, 8, 16, 32)


def _id_placeholders(n: int) -> list[Placeholder]:
    return [Placeholder(f"id{i}", -760_000_001 - i) for i in range(n)]


@cache
def _rows_by_id(n: int) -> tuple[CompiledQuery[Any], CompiledQuery[Any]]:
    placeholders = _id_placeholders(n)

    def ids(values: dict[str, int]) -> list[int]:
        return [values[p.name] for p in placeholders]

    shifts = CompiledQuery(
        lambda **values: _board_shifts().filter(pk__in=ids(values)).values_list(*SHIFT_FIELDS),
        *placeholders,
    )
    claims: CompiledQuery[Any] = CompiledQuery(
        lambda **values: _shown_claims_query(ids(values)), *placeholders
    )
    return shifts, claims


def _read_by_id(
    shift_ids: list[int], using: str
) -> tuple[list[dict[str, Any]], dict[int, list[_ShownClaim]]]:
    found: list[dict[str, Any]] = []
    claims: dict[int, list[_ShownClaim]] = {}
    largest = _ID_SLOTS[-1]
    for start in range(0, len(shift_ids), largest):
        chunk = shift_ids[start : start + largest]
        n = next(slot for slot in _ID_SLOTS if slot >= len(chunk))
        values = {f"id{i}": chunk[min(i, len(chunk) - 1)] for i in range(n)}
        shifts_read, claims_read = _rows_by_id(n)
        these = [
            dict(zip(SHIFT_FIELDS, row, strict=True)) for row in shifts_read.rows(using, **values)
        ]
        if these:
            found += these
            claims |= _by_shift(claims_read.rows(using, **values))
    return found, claims


def prepare_board_rows() -> None:
    """Build and compile the one-shift board row read now (at app start, see
    BoardConfig.ready), not in the first event each process publishes."""
    for read in _rows_by_id(1):
        read.prepare(router.db_for_read(Claim))


def _volunteer_name(claim: _ShownClaim) -> str:
    # As the profile's display name, else str(User).
    return claim.display_name or claim.email or f"user {claim.volunteer_id}"


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def attendance(claim: AttendanceFacts) -> str:
    """Where a claim stands on the day, as the board and the panel show it."""
    if claim.status == ClaimStatus.WAITLISTED:
        return "waitlisted"
    if claim.status == ClaimStatus.NO_SHOW:
        return "no_show"
    if claim.checked_out_at is not None:
        return "checked_out"
    if claim.status == ClaimStatus.COMPLETED:
        return "attended"
    if claim.checked_in_at is not None:
        return "checked_in"
    return "not_checked_in"


def _rows(
    found: list[dict[str, Any]], claims: dict[int, list[_ShownClaim]], now: dt.datetime
) -> list[BoardShift]:
    """The board rows of the shifts ``found`` (their SHIFT_FIELDS) with their shown claims.
    Plain values, not model instances: for 300 shifts and 2,000 claims the instances (claim,
    user, profile: 6,300) and their unused timestamps took most of a second
    (bench/board_page.py, BENCHMARKS.md)."""
    rows: list[BoardShift] = []
    for shift in found:
        opens = shift["claims_open_at"]
        rows.append(
            {
                "id": shift["id"],
                "title": shift["title"],
                "mode": shift["mode"],
                "status": shift["status"],
                "starts_at": shift["starts_at"].isoformat(),
                "ends_at": shift["ends_at"].isoformat(),
                "capacity": shift["capacity"],
                "confirmed_count": shift["confirmed_count"],
                "waitlist_count": shift["waitlist_count"],
                "claims_open_at": opens.isoformat() if opens is not None and opens > now else None,
                "volunteers": [
                    {
                        "claim_id": claim.id,
                        "name": _volunteer_name(claim),
                        "status": claim.status,
                        "attendance": attendance(claim),
                        "checked_in_at": _iso(claim.checked_in_at),
                        "checked_out_at": _iso(claim.checked_out_at),
                    }
                    for claim in claims.get(shift["id"], [])
                ],
            }
        )
    return rows


def board_snapshot(
    *, organisation: Organisation, start: dt.datetime, end: dt.datetime
) -> BoardSnapshot:
    """Published and cancelled shifts starting in [start, end), with their volunteers.

    Two queries: the shifts, and the shown claims of all of them with names.
    """
    now = timezone.now()
    shifts = _board_shifts().filter(
        organisation_id=organisation.pk, starts_at__gte=start, starts_at__lt=end
    )
    found = list(shifts.values(*SHIFT_FIELDS))
    # The shifts again, as a subquery: the SQL stays the same size for any number of shifts
    # (300 quoted ids took PostgreSQL longer to plan than the subquery to run).
    claims = _by_shift(_shown_claims_query(shifts.values_list("id", flat=True))) if found else {}
    return {
        "organisation": {
            "id": organisation.pk,
            "name": organisation.name,
            "slug": organisation.slug,
            "time_zone": organisation.time_zone,
        },
        "window": {"start": start.isoformat(), "end": end.isoformat()},
        "shifts": _rows(found, claims, now),
    }


def board_shifts(*, shift_ids: list[int]) -> dict[int, BoardShift]:
    """The board rows of several shifts by id, in two queries (two more for each 32 ids
    after the first 32); drafts and deleted shifts are left out."""
    if not shift_ids:
        return {}
    now = timezone.now()
    found, claims = _read_by_id(list(shift_ids), router.db_for_read(Claim))
    return {row["id"]: row for row in _rows(found, claims, now)}


# --- a shift's detail panel -----------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    claim_id: int
    name: str
    phone: str
    status: str
    # waitlisted | not_checked_in | checked_in | checked_out | attended | no_show
    attendance: str
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    position: int | None  # on the waitlist: 1 = first in line
    # The buttons the panel offers (the services decide; these are the ones that can work).
    actions: tuple[str, ...] = ()
    # "" | "asking": they asked for a stand-in and keep the seat until someone takes over |
    # "unfilled": asking, and nobody had taken over a day before the start.
    stand_in: str = ""


@dataclass(frozen=True)
class Panel:
    shift: Shift
    address: str | None
    meeting_link: str | None
    qualifications: list[str]
    seated: list[Person]
    waitlist: list[Person]
    # (user id, name) of the members not on the shift whom the claim rules would take, for
    # "add a member"; and how many others are not on it but could not take it.
    candidates: list[tuple[int, str]]
    unavailable: int
    started: bool
    ended: bool
    open_for_claims: bool
    short: int
    # Set while claiming has not opened yet.
    claims_open_at: dt.datetime | None


def _actions(claim: Claim, shift: Shift, now: dt.datetime) -> tuple[str, ...]:
    started, ended = shift.starts_at <= now, shift.ends_at <= now
    if shift.status == ShiftStatus.CANCELLED:
        return ()
    if claim.status == ClaimStatus.WAITLISTED:
        return () if started else ("cancel",)
    if claim.status == ClaimStatus.NO_SHOW:
        return ("attended",)
    if claim.status != ClaimStatus.CONFIRMED:
        return ()
    actions: list[str] = []
    if claim.checked_in_at is None:
        # A coordinator may also check in afterwards, to fix the record.
        if check_in_open(shift=shift, now=now) or ended:
            actions.append("check-in")
        if ended:
            actions.append("no-show")
    elif check_out_open(shift=shift, now=now):
        actions.append("check-out")
    if started:
        actions.append("attended")
    else:
        actions.append("cancel")
    return tuple(actions)


def display_name(user: User) -> str:
    """A volunteer's name as the cockpit shows it: the profile's, else the account's."""
    profile = getattr(user, "profile", None)
    if profile is not None and profile.display_name:
        return profile.display_name
    return str(user)


def panel_read(*, organisation: Organisation, shift_id: int) -> Panel | None:
    """The shift with its volunteers (seats first, in the order they got them, then the
    waitlist in order), its qualifications, the open stand-in requests and the members who could
    be added: five queries,
    whatever the number of claims or members. None if the organisation has no such shift."""
    on_waitlist = Case(
        When(status=ClaimStatus.WAITLISTED, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    shown = (
        Claim.objects.filter(status__in=BOARD_CLAIM_STATUSES)
        .select_related("volunteer__profile")
        .order_by(on_waitlist, "waitlist_ticket", "confirmed_at", "id")
    )
    shift = (
        Shift.objects.filter(pk=shift_id, organisation_id=organisation.pk)
        .prefetch_related(
            Prefetch("claims", queryset=shown, to_attr="panel_claims"),
            "required_qualifications",
        )
        .first()
    )
    if shift is None:
        return None
    shift.organisation = organisation
    now = timezone.now()
    claims: list[Claim] = shift.panel_claims
    asking = dict(
        StandInRequest.objects.filter(
            claim_id__in=[c.pk for c in claims if c.status == ClaimStatus.CONFIRMED],
            status=StandInStatus.OPEN,
        ).values_list("claim_id", "unfilled_alerted_at")
    )
    seated: list[Person] = []
    waitlist: list[Person] = []
    for claim in claims:
        waiting = claim.status == ClaimStatus.WAITLISTED
        profile = getattr(claim.volunteer, "profile", None)
        person = Person(
            claim_id=claim.pk,
            name=display_name(claim.volunteer),
            phone=profile.phone if profile is not None else "",
            status=claim.status,
            attendance=attendance(claim),
            checked_in_at=claim.checked_in_at,
            checked_out_at=claim.checked_out_at,
            position=len(waitlist) + 1 if waiting else None,
            actions=_actions(claim, shift, now),
            stand_in=(
                ""
                if claim.pk not in asking
                else "unfilled"
                if asking[claim.pk] is not None
                else "asking"
            ),
        )
        (waitlist if waiting else seated).append(person)
    open_for_claims = shift.status == ShiftStatus.PUBLISHED and shift.starts_at > now
    candidates: list[tuple[int, str]] = []
    unavailable = 0
    if open_for_claims:
        # Imported here: the shifts services import the event publisher, which imports this
        # module, so a module-level import would be circular.
        from backend.shifts.services import Eligibility

        members = list(
            Membership.objects.filter(organisation_id=organisation.pk, user__is_active=True)
            .exclude(user_id__in=[claim.volunteer_id for claim in claims])
            .select_related("user__profile")
        )
        # Only those the claim rules would take (qualified on the day, free, not blocked):
        # the same Eligibility as claiming, in a fixed number of queries.
        eligibility = Eligibility(volunteer_ids=[m.user_id for m in members], shifts=[shift])
        can = [m for m in members if eligibility.error(m.user_id, shift) is None]
        unavailable = len(members) - len(can)
        candidates = sorted(
            ((m.user_id, display_name(m.user)) for m in can), key=lambda c: c[1].casefold()
        )
    where = where_to_go(shift, claim_status=None, manages=True)
    opens = shift.claims_open_at
    return Panel(
        shift=shift,
        address=where.address,
        meeting_link=where.meeting_link,
        qualifications=sorted(q.name for q in shift.required_qualifications.all()),
        seated=seated,
        waitlist=waitlist,
        candidates=candidates,
        unavailable=unavailable,
        started=shift.starts_at <= now,
        ended=shift.ends_at <= now,
        open_for_claims=open_for_claims,
        short=max(shift.capacity - shift.confirmed_count, 0),
        claims_open_at=opens if opens is not None and opens > now else None,
    )

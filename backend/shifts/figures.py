"""Figures an organisation reports to its board and to the government that subsidises it.

Every figure for a year is computed from history, so a past year gives the same answer after
later changes: volunteers on 31 December from membership dates (current memberships and
``PastMembership``) and the role each member had then (``MembershipRoleChange``), hours from
the minutes recorded on completed claims (kept through erasure), shifts from the shifts that
started in the year, allowances from the ledger's entries (corrections applied) by their
day. Years follow the organisation's time zone. Five aggregate queries whatever the number of
volunteers, shifts or years; the hours per month of a year, one more.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any, Literal, TypedDict, cast
from zoneinfo import ZoneInfo

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from backend.allowances.models import Regime
from backend.allowances.services import effective_entries
from backend.organisations.models import (
    Membership,
    MembershipRoleChange,
    Organisation,
    PastMembership,
    Role,
)
from backend.shifts.models import Claim, ClaimStatus, Shift, ShiftMode, ShiftStatus

# The trend compares with this many previous years.
TREND_YEARS = 4


class Volunteers(TypedDict):
    # a membership running on 31 December whose role on that day was volunteer
    active_by_membership: int
    active_by_shifts: int  # at least one completed shift in the year
    new: int  # volunteer memberships that started in the year
    stopped: int  # volunteer memberships that ended in the year


class Shifts(TypedDict):
    published: int  # published shifts that started in the year (cancelled ones not included)
    cancelled: int
    filled: int  # published shifts with every seat taken
    seats: int
    seats_taken: int
    fill_rate: float | None  # seats taken / seats


class Rates(TypedDict):
    no_show_rate: float | None  # no-shows / (completed + no-shows)
    late_cancellation_rate: float | None  # late cancellations / claims ever confirmed


class ModeSplit(TypedDict):
    shifts: int
    hours: float


class Subsidy(TypedDict):
    # The subsidy year this year's count of active volunteers feeds (Flemish rules: N + 2),
    # and the day before which the content and financial report on the year is due.
    year: int
    report_due: str


class Allowances(TypedDict):
    volunteers: int
    flat_rate: float
    real_costs: float
    transport: float
    transport_km: float


class YearFigures(TypedDict):
    year: int
    subsidy: Subsidy
    volunteers: Volunteers
    hours: float
    # Hours of completed shifts (checked out, or attendance confirmed by a coordinator) and of
    # confirmed claims not recorded yet (planned: the shift's length).
    hours_verified: float
    hours_planned: float
    allowances: Allowances
    completed_claims: int
    no_shows: int
    late_cancellations: int
    shifts: Shifts
    rates: Rates
    modes: dict[str, ModeSplit]


class Change(TypedDict):
    figure: str
    previous: float
    current: float
    change: float
    percent: float | None
    direction: Literal["growing", "declining", "stable"]


class Figures(TypedDict):
    organisation_id: int
    organisation_name: str
    time_zone: str
    year: int
    figures: YearFigures
    previous_years: list[YearFigures]
    trend: list[Change]


TREND_FIGURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("active_volunteers_by_membership", ("volunteers", "active_by_membership")),
    ("active_volunteers_by_shifts", ("volunteers", "active_by_shifts")),
    ("new_volunteers", ("volunteers", "new")),
    ("hours", ("hours",)),
    ("shifts_published", ("shifts", "published")),
)


def _ratio(part: int | float, whole: int | float) -> float | None:
    return round(part / whole, 4) if whole else None


def _bounds(zone: ZoneInfo, year: int) -> tuple[dt.datetime, dt.datetime]:
    return (
        dt.datetime(year, 1, 1, tzinfo=zone),
        dt.datetime(year + 1, 1, 1, tzinfo=zone),
    )


def _role_at(moment: dt.datetime | OuterRef, *, ended: bool) -> Coalesce:
    """The member's role at ``moment``: the role they left behind at the first change from
    then on, or the row's role when it has not changed since. Changes outside the row's
    membership (before it started, or after a past one ended) belong to another one."""
    later = MembershipRoleChange.objects.filter(
        user_id=OuterRef("user_id"), organisation_id=OuterRef("organisation_id")
    ).filter(Q(changed_at__gte=moment), Q(changed_at__gte=OuterRef("joined_at")))
    if ended:
        later = later.filter(changed_at__lt=OuterRef("ended_at"))
    first = later.order_by("changed_at", "pk").values("from_role")[:1]
    return Coalesce(Subquery(first), F("role"))


def _membership_counts(
    memberships: QuerySet[Membership] | QuerySet[PastMembership],
    years: list[int],
    zone: ZoneInfo,
    *,
    ended: bool,
) -> dict[str, int]:
    """Per year: volunteers running on 31 December, started in the year, (ended: ) ended in
    the year, each by the role the member had at that moment (see MembershipRoleChange)."""
    roles: dict[str, Coalesce] = {"role_joined": _role_at(OuterRef("joined_at"), ended=ended)}
    volunteer = Role.VOLUNTEER.value
    aggregates = {}
    for year in years:
        start, end = _bounds(zone, year)
        roles[f"role_{year}"] = _role_at(end, ended=ended)
        running = Q(joined_at__lt=end, **{f"role_{year}": volunteer})
        if ended:
            running &= Q(ended_at__gte=end)
        aggregates[f"active_{year}"] = Count("pk", filter=running)
        aggregates[f"new_{year}"] = Count(
            "pk", filter=Q(joined_at__gte=start, joined_at__lt=end, role_joined=volunteer)
        )
        if ended:
            # A past membership's role is the one it ended with.
            aggregates[f"stopped_{year}"] = Count(
                "pk", filter=Q(ended_at__gte=start, ended_at__lt=end, role=volunteer)
            )
    return memberships.annotate(**roles).aggregate(**aggregates)


def organisation_figures(*, organisation: Organisation, year: int) -> Figures:
    zone = ZoneInfo(organisation.time_zone)
    years = list(range(year - TREND_YEARS, year + 1))
    first, _end = _bounds(zone, years[0])
    _, last = _bounds(zone, year)

    current = _membership_counts(
        Membership.objects.filter(organisation=organisation), years, zone, ended=False
    )
    past = _membership_counts(
        PastMembership.objects.filter(organisation=organisation), years, zone, ended=True
    )

    completed = Q(status=ClaimStatus.COMPLETED)
    claim_rows = {
        row["year"]: row
        for row in Claim.objects.filter(
            shift__organisation=organisation,
            shift__starts_at__gte=first,
            shift__starts_at__lt=last,
        )
        .annotate(year=ExtractYear("shift__starts_at", tzinfo=zone))
        .values("year")
        .annotate(
            volunteers=Count("volunteer_id", filter=completed, distinct=True),
            completed=Count("pk", filter=completed),
            no_shows=Count("pk", filter=Q(status=ClaimStatus.NO_SHOW)),
            late=Count("pk", filter=Q(late_cancellation=True)),
            ever_confirmed=Count(
                "pk", filter=Q(confirmed_at__isnull=False, cancelled_by_shift=False)
            ),
            minutes=Sum("minutes_volunteered", filter=completed),
            minutes_online=Sum(
                "minutes_volunteered", filter=completed & Q(shift__mode=ShiftMode.ONLINE)
            ),
            planned=Sum(
                ExpressionWrapper(
                    F("shift__ends_at") - F("shift__starts_at"), output_field=DurationField()
                ),
                filter=Q(status=ClaimStatus.CONFIRMED),
            ),
        )
        .order_by()
    }
    published = Q(status=ShiftStatus.PUBLISHED)
    shift_rows = {
        row["year"]: row
        for row in Shift.objects.filter(
            organisation=organisation, starts_at__gte=first, starts_at__lt=last
        )
        .annotate(year=ExtractYear("starts_at", tzinfo=zone))
        .values("year")
        .annotate(
            published=Count("pk", filter=published),
            cancelled=Count("pk", filter=Q(status=ShiftStatus.CANCELLED)),
            filled=Count("pk", filter=published & Q(confirmed_count__gte=F("capacity"))),
            seats=Sum("capacity", filter=published),
            taken=Sum("confirmed_count", filter=published),
            online=Count("pk", filter=published & Q(mode=ShiftMode.ONLINE)),
        )
        .order_by()
    }

    allowance_rows: dict[int, dict[str, Any]] = {}
    for row in (
        effective_entries()
        .filter(organisation=organisation, day__year__gte=years[0], day__year__lte=year)
        .annotate(year=ExtractYear("day"))
        .values("year")
        .annotate(
            volunteers=Count("volunteer_id", distinct=True),
            flat_rate=Sum("amount", filter=Q(regime=Regime.FLAT_RATE)),
            real_costs=Sum("amount", filter=Q(regime=Regime.REAL_COSTS)),
            transport=Sum("amount", filter=Q(regime=Regime.TRANSPORT)),
            transport_km=Sum("km", filter=Q(regime=Regime.TRANSPORT)),
        )
        .order_by()
    ):
        allowance_rows[row["year"]] = dict(row)

    # The rows are the stubs' TypedDicts of the .values() queries; a missing year is {}.
    per_year = [
        _year_figures(
            y,
            current,
            past,
            cast(dict[str, int | None], claim_rows.get(y, {})),
            cast(dict[str, int | None], shift_rows.get(y, {})),
            allowance_rows.get(y, {}),
        )
        for y in years
    ]
    this, previous = per_year[-1], per_year[-2]
    return {
        "organisation_id": organisation.pk,
        "organisation_name": organisation.name,
        "time_zone": organisation.time_zone,
        "year": year,
        "figures": this,
        "previous_years": list(reversed(per_year[:-1])),
        "trend": [_change(name, path, previous, this) for name, path in TREND_FIGURES],
    }


def _year_figures(
    year: int,
    current: dict[str, int],
    past: dict[str, int],
    claims: dict[str, int | None],
    shifts: dict[str, int | None],
    allowances: dict[str, Any],
) -> YearFigures:
    minutes = claims.get("minutes") or 0
    planned = cast(dt.timedelta | None, claims.get("planned")) or dt.timedelta(0)
    minutes_online = claims.get("minutes_online") or 0
    completed = claims.get("completed") or 0
    no_shows = claims.get("no_shows") or 0
    late = claims.get("late") or 0
    published = shifts.get("published") or 0
    online = shifts.get("online") or 0
    seats = shifts.get("seats") or 0
    taken = shifts.get("taken") or 0
    return {
        "year": year,
        "subsidy": {"year": year + 2, "report_due": f"{year + 1}-04-30"},
        "volunteers": {
            "active_by_membership": current[f"active_{year}"] + past[f"active_{year}"],
            "active_by_shifts": claims.get("volunteers") or 0,
            "new": current[f"new_{year}"] + past[f"new_{year}"],
            "stopped": past[f"stopped_{year}"],
        },
        "hours": round(minutes / 60, 2),
        "hours_verified": round(minutes / 60, 2),
        "hours_planned": round(planned.total_seconds() / 3600, 2),
        "allowances": {
            "volunteers": allowances.get("volunteers") or 0,
            "flat_rate": float(allowances.get("flat_rate") or 0),
            "real_costs": float(allowances.get("real_costs") or 0),
            "transport": float(allowances.get("transport") or 0),
            "transport_km": float(allowances.get("transport_km") or 0),
        },
        "completed_claims": completed,
        "no_shows": no_shows,
        "late_cancellations": late,
        "shifts": {
            "published": published,
            "cancelled": shifts.get("cancelled") or 0,
            "filled": shifts.get("filled") or 0,
            "seats": seats,
            "seats_taken": taken,
            "fill_rate": _ratio(taken, seats),
        },
        "rates": {
            "no_show_rate": _ratio(no_shows, completed + no_shows),
            "late_cancellation_rate": _ratio(late, claims.get("ever_confirmed") or 0),
        },
        "modes": {
            ShiftMode.ON_SITE.value: {
                "shifts": published - online,
                "hours": round((minutes - minutes_online) / 60, 2),
            },
            ShiftMode.ONLINE.value: {"shifts": online, "hours": round(minutes_online / 60, 2)},
        },
    }


def _pick(figures: YearFigures, path: tuple[str, ...]) -> float:
    value: object = figures
    for key in path:
        value = value[key]  # type: ignore[index]
    return float(value)  # type: ignore[arg-type]


def _change(
    name: str, path: tuple[str, ...], previous: YearFigures, current: YearFigures
) -> Change:
    before, now = _pick(previous, path), _pick(current, path)
    difference = round(now - before, 2)
    return {
        "figure": name,
        "previous": before,
        "current": now,
        "change": difference,
        "percent": round(difference / before * 100, 1) if before else None,
        "direction": "growing" if difference > 0 else "declining" if difference < 0 else "stable",
    }


def hours_by_month(*, organisation: Organisation, year: int) -> list[float]:
    """Hours volunteered in each month of ``year``, January first, by the start of the shift in
    the organisation's time zone (as the year's ``hours``). One query."""
    zone = ZoneInfo(organisation.time_zone)
    start, end = _bounds(zone, year)
    rows = (
        Claim.objects.filter(
            shift__organisation=organisation,
            shift__starts_at__gte=start,
            shift__starts_at__lt=end,
            status=ClaimStatus.COMPLETED,
        )
        .annotate(month=ExtractMonth("shift__starts_at", tzinfo=zone))
        .values("month")
        .annotate(minutes=Sum("minutes_volunteered"))
        .order_by()
    )
    minutes = {row["month"]: row["minutes"] or 0 for row in rows}
    return [round(minutes.get(month, 0) / 60, 2) for month in range(1, 13)]


def _figure_values(figures: Figures) -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = [
        ("organisation", figures["organisation_name"]),
        ("year", figures["year"]),
    ]

    def flatten(prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                flatten(f"{prefix}.{key}" if prefix else key, inner)
        else:
            rows.append((prefix, value))

    this = dict(figures["figures"])
    this.pop("year")
    flatten("", this)
    for change in figures["trend"]:
        name = change["figure"]
        for key in ("previous", "change", "percent", "direction"):
            rows.append((f"trend.{name}.{key}", change[key]))
    return rows


# What each figure is, for people (the cockpit's download): its key stays the machine's.
FIGURE_LABELS: dict[str, Promise] = {
    "organisation": _("Organisation"),
    "year": _("Year"),
    "volunteers.active_by_membership": _("Active volunteers on 31 December"),
    "volunteers.active_by_shifts": _("Volunteers with at least one completed shift"),
    "volunteers.new": _("New volunteers"),
    "volunteers.stopped": _("Volunteers who stopped"),
    "subsidy.year": _("Subsidy year these figures count for"),
    "subsidy.report_due": _("Content and financial report due before"),
    "hours": _("Hours volunteered"),
    "hours_verified": _("Hours verified (checked out or confirmed)"),
    "hours_planned": _("Hours planned, not recorded yet"),
    "allowances.volunteers": _("Volunteers with an allowance"),
    "allowances.flat_rate": _("Flat-rate allowances (euro)"),
    "allowances.real_costs": _("Real costs paid (euro)"),
    "allowances.transport": _("Transport costs paid (euro)"),
    "allowances.transport_km": _("Transport kilometres"),
    "completed_claims": _("Completed shifts (per volunteer)"),
    "no_shows": _("No-shows"),
    "late_cancellations": _("Late cancellations"),
    "shifts.published": _("Published shifts"),
    "shifts.cancelled": _("Cancelled shifts"),
    "shifts.filled": _("Full shifts"),
    "shifts.seats": _("Places on published shifts"),
    "shifts.seats_taken": _("Places taken"),
    "shifts.fill_rate": _("Fill rate"),
    "rates.no_show_rate": _("No-show rate"),
    "rates.late_cancellation_rate": _("Late cancellation rate"),
    "modes.on_site.shifts": _("On-site shifts"),
    "modes.on_site.hours": _("Hours on site"),
    "modes.online.shifts": _("Online shifts"),
    "modes.online.hours": _("Hours online"),
    "trend.active_volunteers_by_membership": _("Active volunteers on 31 December"),
    "trend.active_volunteers_by_shifts": _("Volunteers with at least one completed shift"),
    "trend.new_volunteers": _("New volunteers"),
    "trend.hours": _("Hours volunteered"),
    "trend.shifts_published": _("Published shifts"),
}
TREND_PART_LABELS: dict[str, Promise] = {
    "previous": _("%(figure)s: the year before"),
    "change": _("%(figure)s: change"),
    "percent": _("%(figure)s: change in %%"),
    "direction": _("%(figure)s: direction"),
}
DIRECTION_LABELS: dict[str, Promise] = {
    "growing": _("growing"),
    "declining": _("declining"),
    "stable": _("stable"),
}


def _label(key: str, value: object) -> tuple[str, object]:
    """The people's label of ``key`` and its value (a direction in words)."""
    if key.startswith("trend."):
        _trend, figure, part = key.split(".")
        name = str(FIGURE_LABELS.get(f"trend.{figure}", figure))
        if part == "direction" and isinstance(value, str):
            value = str(DIRECTION_LABELS.get(value, value))
        return str(TREND_PART_LABELS[part]) % {"figure": name}, value
    return str(FIGURE_LABELS.get(key, key)), value


def figures_csv(figures: Figures, *, belgian: bool = False, labelled: bool = False) -> bytes:
    """The figures as ``figure,value`` CSV in UTF-8 (the API's and the cockpit's download).

    ``belgian``: what Excel set to Belgian (or Dutch, French) regional settings opens as two
    columns of numbers: ``;`` between fields, decimal commas (``12,5``), and a UTF-8 byte
    order mark, without which Excel reads the file as Windows-1252 and garbles accents.
    ``labelled``: a ``label`` column after the key, in the active language (for people;
    directions in words too). Whole numbers are written without decimals (3, not 3.0).
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if belgian else ",")
    writer.writerow(["figure", "label", "value"] if labelled else ["figure", "value"])
    for name, value in _figure_values(figures):
        label, shown = _label(name, value) if labelled else ("", value)
        if isinstance(shown, float) and shown.is_integer():
            shown = int(shown)
        text = "" if shown is None else str(shown)
        if belgian and isinstance(shown, float):
            text = text.replace(".", ",")
        writer.writerow([name, label, text] if labelled else [name, text])
    return (("\ufeff" if belgian else "") + out.getvalue()).encode("utf-8")

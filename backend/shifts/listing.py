"""The shift list: the shifts a viewer may see, filtered, a page at a time.

The list is the API's most read answer (an app opens on it), so a page is one statement:
the shifts with their organisation, the viewer's own claim on each, whether the viewer manages
its organisation and the qualifications each needs. The statement is built by the ORM from
the same rules as everywhere else (``shifts_visible_to``'s visibility, ``ShiftQuery``'s
filters) and compiled once per process for each combination of filters in use (at most a few
hundred; see ``backend/core/compiled.py``), then run with each request's values.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, fields, replace
from typing import Any

from django.db import router
from django.db.models import (
    Aggregate,
    CharField,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)

from backend.accounts.models import User
from backend.core.compiled import CompiledQuery, Placeholder
from backend.organisations.models import MANAGER_ROLES, Membership, Organisation
from backend.shifts.models import SHIFT_EDITABLE_FIELDS, Shift, ShiftStatus, ShiftVisibility


def open_for_claims(now: dt.datetime) -> Q:
    """Open: published, not started, with a free seat."""
    return Q(status=ShiftStatus.PUBLISHED, starts_at__gt=now, confirmed_count__lt=F("capacity"))


def visible_shifts(*, viewer_id: int, is_staff: bool) -> QuerySet[Shift]:
    """Published (and cancelled) shifts of the viewer's organisations and public ones; every
    shift of the organisations they manage, drafts included. Staff see every shift."""
    if is_staff:
        return Shift.objects.all()
    memberships = Membership.objects.filter(user_id=viewer_id)
    managed = memberships.filter(role__in=MANAGER_ROLES).values("organisation_id")
    published = Q(status__in=[ShiftStatus.PUBLISHED, ShiftStatus.CANCELLED])
    return Shift.objects.filter(
        Q(organisation_id__in=managed)
        | (published & Q(organisation_id__in=memberships.values("organisation_id")))
        | (published & Q(visibility=ShiftVisibility.PUBLIC))
    )


@dataclass(frozen=True)
class ShiftQuery:
    """The list's filters; None is "any". ``ends_after`` and ``starts_before`` select the
    shifts that overlap that window."""

    organisation_id: int | None = None
    mode: str | None = None
    status: str | None = None
    ends_after: dt.datetime | None = None
    starts_before: dt.datetime | None = None
    open: bool | None = None
    qualification_id: int | None = None

    def apply(self, shifts: QuerySet[Shift], *, now: dt.datetime) -> QuerySet[Shift]:
        if self.organisation_id is not None:
            shifts = shifts.filter(organisation_id=self.organisation_id)
        if self.mode is not None:
            shifts = shifts.filter(mode=self.mode)
        if self.status is not None:
            shifts = shifts.filter(status=self.status)
        if self.ends_after is not None:
            shifts = shifts.filter(ends_at__gt=self.ends_after)
        if self.starts_before is not None:
            shifts = shifts.filter(starts_at__lt=self.starts_before)
        if self.open is not None:
            is_open = open_for_claims(now)
            shifts = shifts.filter(is_open if self.open else ~is_open)
        if self.qualification_id is not None:
            shifts = shifts.filter(required_qualifications=self.qualification_id)
        return shifts


@dataclass(frozen=True)
class ViewerClaim:
    pk: int
    status: str


# What the list shows of a shift and its organisation; the rest is not read (reading a row's
# every column costs more Python than the query itself). The list's query-count test fails if
# the answer ever needs another.
LISTED_FIELDS = (
    "id",
    "organisation",
    *SHIFT_EDITABLE_FIELDS,
    "confirmed_count",
    "waitlist_count",
    "status",
    "series",
)
# Of the organisation (one instance per organisation on the page, not one per row).
LISTED_ORGANISATION_FIELDS = ("id", "name", "time_zone")


@dataclass(frozen=True)
class ListedShift:
    """A shift of the list, with what the viewer needs to know about it. Of the shift, only
    ``LISTED_FIELDS`` are read; of its organisation, ``LISTED_ORGANISATION_FIELDS``."""

    shift: Shift
    claim: ViewerClaim | None
    manages: bool
    qualification_ids: list[int]

    @property
    def starts_at(self) -> dt.datetime:
        return self.shift.starts_at


def shift_page(
    *,
    viewer: User,
    query: ShiftQuery,
    now: dt.datetime,
    limit: int,
    offset: int = 0,
    descending: bool = False,
    after: dt.datetime | None = None,
) -> list[ListedShift]:
    """Up to ``limit`` shifts ``viewer`` may see that match ``query``, ordered by start (then
    id), latest first if ``descending``; with ``after``, only those starting strictly after it
    in that order; skipping the first ``offset``. One statement."""
    given = [f.name for f in _VALUE_FILTERS if getattr(query, f.name) is not None]
    placeholders: dict[str, Any] = {name: _PLACEHOLDERS[name].value for name in given}
    shape = _Shape(
        is_staff=viewer.is_staff,
        descending=descending,
        after=after is not None,
        query=replace(query, **placeholders),
    )
    values: dict[str, Any] = {name: getattr(query, name) for name in given}
    values |= {"viewer_id": viewer.pk, "after": after}
    if query.open is not None:
        values["now"] = now
    compiled = _compiled_for(shape)
    rows = compiled.page(limit=limit, offset=offset, using=router.db_for_read(Shift), **values)
    return _listed(rows)


def _listed(shifts: list[Shift]) -> list[ListedShift]:
    organisations: dict[int, Organisation] = {}
    shown = LISTED_ORGANISATION_FIELDS[1:]
    listed = []
    for shift in shifts:
        found = vars(shift)
        values = (shift.organisation_id, *(found.pop(f"viewer_organisation_{n}") for n in shown))
        organisation = organisations.get(shift.organisation_id)
        if organisation is None:
            organisation = organisations[shift.organisation_id] = Organisation.from_db(
                shift._state.db, LISTED_ORGANISATION_FIELDS, values
            )
        shift.organisation = organisation
        claim_id = found.pop("viewer_claim_id")
        claim_status = found.pop("viewer_claim_status")
        ids = found.pop("viewer_qualification_ids")
        listed.append(
            ListedShift(
                shift=shift,
                claim=None if claim_id is None else ViewerClaim(pk=claim_id, status=claim_status),
                manages=bool(found.pop("viewer_manages")),
                qualification_ids=sorted(int(i) for i in ids.split(",")) if ids else [],
            )
        )
    return listed


# The filters whose values are parameters of the compiled statement (``open`` is not: true
# and false are two different statements).
_VALUE_FILTERS = tuple(f for f in fields(ShiftQuery) if f.name != "open")

_MOMENT = dt.datetime(1901, 3, 4, 5, 6, 7, 0, tzinfo=dt.UTC)
_PLACEHOLDERS = {
    p.name: p
    for p in (
        Placeholder("viewer_id", -731_904_266),
        Placeholder("now", _MOMENT.replace(microsecond=111_111)),
        Placeholder("after", _MOMENT.replace(microsecond=222_222)),
        Placeholder("organisation_id", -652_118_407),
        Placeholder("mode", "\x00mode"),
        Placeholder("status", "\x00status"),
        Placeholder("ends_after", _MOMENT.replace(microsecond=333_333)),
        Placeholder("starts_before", _MOMENT.replace(microsecond=444_444)),
        Placeholder("qualification_id", -590_377_163),
    )
}


@dataclass(frozen=True)
class _Shape:
    """What makes two pages' statements differ; ``query`` holds placeholders, not values."""

    is_staff: bool
    descending: bool
    after: bool
    query: ShiftQuery


class _IdList(Aggregate):
    """The group's values as text, comma-separated, in no particular order."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            function="STRING_AGG",
            template="%(function)s((%(expressions)s)::text, ',')",
        )


def _page_read(shape: _Shape) -> CompiledQuery[Shift]:
    def build(**values: Any) -> QuerySet[Shift]:
        viewer_id = values["viewer_id"]
        shifts = shape.query.apply(
            visible_shifts(viewer_id=viewer_id, is_staff=shape.is_staff),
            now=values.get("now", _PLACEHOLDERS["now"].value),
        )
        if shape.after:
            shifts = shifts.filter(
                **{"starts_at__lt" if shape.descending else "starts_at__gt": values["after"]}
            )
        through = Shift.required_qualifications.through
        needed = (
            through.objects.filter(shift_id=OuterRef("pk"))
            .values("shift_id")
            .annotate(ids=_IdList("qualification_id"))
            .values("ids")  # type: ignore[misc]  # django-stubs miss the annotation
        )
        manages = (
            Value(True)
            if shape.is_staff
            else Exists(
                Membership.objects.filter(
                    user_id=viewer_id,
                    organisation_id=OuterRef("organisation_id"),
                    role__in=MANAGER_ROLES,
                )
            )
        )
        order = ("-starts_at", "-id") if shape.descending else ("starts_at", "id")
        return (
            shifts.only(*LISTED_FIELDS)
            .annotate(
                **{
                    f"viewer_organisation_{name}": F(f"organisation__{name}")
                    for name in LISTED_ORGANISATION_FIELDS[1:]
                },
                mine=FilteredRelation("claims", condition=Q(claims__volunteer_id=viewer_id)),
                viewer_claim_id=F("mine__id"),
                viewer_claim_status=F("mine__status"),
                viewer_manages=manages,
                viewer_qualification_ids=Subquery(needed),
            )
            .order_by(*order)
        )

    used = ["viewer_id", *(name for name in ("now",) if shape.query.open is not None)]
    used += [f.name for f in _VALUE_FILTERS if getattr(shape.query, f.name) is not None]
    if shape.after:
        used.append("after")
    return CompiledQuery(build, *(_PLACEHOLDERS[name] for name in used))


_COMPILED: dict[_Shape, CompiledQuery[Shift]] = {}
_COMPILED_LOCK = threading.Lock()


def _compiled_for(shape: _Shape) -> CompiledQuery[Shift]:
    compiled = _COMPILED.get(shape)
    if compiled is None:
        with _COMPILED_LOCK:
            compiled = _COMPILED.setdefault(shape, _page_read(shape))
    return compiled

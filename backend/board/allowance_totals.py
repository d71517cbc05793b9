"""Reads of the cockpit's allowances page, in bulk: a year's totals for many volunteers in a
fixed number of queries, whatever their number.

``year_totals_of`` reads the same sums as ``backend.allowances.services.year_totals`` (the
effective entries of every organisation and the declarations from outside Inzet) and builds
the same ``YearTotals`` from them, so what remains under the caps and when to warn stay the
properties of ``YearTotals``: the rules live there, not here. ``tests/board/
test_allowances_page.py`` checks that both give equal totals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import Lower

from backend.allowances.models import AllowanceCap, AllowanceEntry, OutsideDeclaration, Regime
from backend.allowances.services import ZERO, YearTotals, effective_entries, money
from backend.organisations.models import Membership, Organisation


class _Sums:
    """One volunteer's amounts per regime, kilometres, and the higher-cap part."""

    def __init__(self) -> None:
        self.amount: dict[str, Decimal] = defaultdict(lambda: ZERO)
        self.km = Decimal(0)
        self.higher = ZERO
        self.regimes: set[str] = set()

    def add(self, regime: str, amount: Decimal | None, km: Decimal | None) -> None:
        self.regimes.add(regime)
        self.amount[regime] += money(amount or ZERO)
        if regime == Regime.TRANSPORT:
            self.km += km or Decimal(0)

    def totals(self, year: int, cap: AllowanceCap | None) -> YearTotals:
        flat, real = self.amount[Regime.FLAT_RATE], self.amount[Regime.REAL_COSTS]
        # As year_totals: the regime of the year is the one with an amount, else the one with
        # any row at all (a zero amount still sets it).
        regime = next(
            (
                kind
                for kind, present in (
                    (Regime.FLAT_RATE, flat > 0),
                    (Regime.REAL_COSTS, real > 0),
                    (Regime.FLAT_RATE, Regime.FLAT_RATE in self.regimes),
                    (Regime.REAL_COSTS, Regime.REAL_COSTS in self.regimes),
                )
                if present
            ),
            None,
        )
        return YearTotals(
            year=year,
            regime=regime,
            flat_rate=flat,
            flat_rate_normal=flat - self.higher,
            real_costs=real,
            transport=self.amount[Regime.TRANSPORT],
            transport_km=self.km,
            cap=cap,
        )


def year_totals_of(
    *, volunteer_ids: Collection[int], year: int, cap: AllowanceCap | None
) -> dict[int, YearTotals]:
    """Each volunteer's totals of ``year`` across every organisation and their declarations
    (``cap``: the year's caps row, read once by the caller). Two queries."""
    if not volunteer_ids:
        return {}
    sums: dict[int, _Sums] = {pk: _Sums() for pk in volunteer_ids}
    entries = (
        effective_entries()
        .filter(volunteer_id__in=volunteer_ids, day__year=year)
        .values("volunteer_id", "regime")
        .annotate(
            a=Sum("amount"),
            k=Sum("km"),
            higher=Sum("amount", filter=Q(regime=Regime.FLAT_RATE) & ~Q(higher_category="")),
        )
    )
    for row in entries:
        found = sums[row["volunteer_id"]]
        found.add(row["regime"], row["a"], row["k"])
        found.higher += money(row["higher"] or ZERO)
    declared = (
        OutsideDeclaration.objects.filter(volunteer_id__in=volunteer_ids, year=year)
        .values("volunteer_id", "regime")
        .annotate(a=Sum("amount"), k=Sum("km"))
    )
    for declaration in declared:
        sums[declaration["volunteer_id"]].add(
            declaration["regime"], declaration["a"], declaration["k"]
        )
    return {pk: found.totals(year, cap) for pk, found in sums.items()}


def replaced_amounts(entries: Iterable[AllowanceEntry]) -> dict[int, Decimal]:
    """The amount each correction in ``entries`` replaced, by the correction's id. One query
    (none without corrections)."""
    replaces = {entry.replaces_id: entry.pk for entry in entries if entry.replaces_id}
    if not replaces:
        return {}
    return {
        replaces[pk]: amount
        for pk, amount in AllowanceEntry.objects.filter(pk__in=replaces).values_list("pk", "amount")
    }


def member_choices(*, organisation: Organisation) -> list[tuple[int, str]]:
    """The organisation's members as (user id, display name), by name. One query."""
    return list(
        Membership.objects.filter(organisation=organisation)
        .order_by(Lower("user__profile__display_name"), "pk")
        .values_list("user_id", "user__profile__display_name")
    )

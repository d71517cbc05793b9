"""The volunteer allowance ledger and its legal caps (Belgian law of 3 July 2005, art. 10).

What holds, per volunteer and calendar year, across every organisation in Inzet plus what the
volunteer declares from organisations outside it:

- **One regime a year.** Flat-rate allowances and real costs are not mixed
  (``allowance_regime_conflict``). Transport by kilometre goes with either; with flat-rate
  allowances, for at most ``AllowanceCap.transport_km`` kilometres a year (2,000).
- **Caps on flat-rate amounts** (one ``AllowanceCap`` row per year): per day and per year.
  The higher yearly cap applies only to activities of the categories the law names (a shift's
  ``allowance_category``), and only the part above the normal cap may come from them: the
  amounts outside those categories stay under the normal cap, all of them under the higher.
  An entry that would pass a cap is refused (``allowance_cap_exceeded``, with the amount
  still possible); the entry a completed shift makes on its own is lowered to what is still
  possible instead, so a check-out never fails (``asked_amount`` keeps what was asked).
- Real costs have no cap: they are paid against receipts.

The ledger is append-only: a correction is a new entry that ``replaces`` the one it corrects,
with a reason. Entries for one volunteer are written one at a time (``_lock_ledger``), so two
organisations' check-outs at once cannot both use the last room under a cap.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.allowances.models import (
    AllowanceCap,
    AllowanceCapChange,
    AllowanceEntry,
    AllowancePolicy,
    FlatRatePer,
    HigherCapCategory,
    OutsideDeclaration,
    PolicyKind,
    Regime,
)
from backend.core.errors import (
    AllowanceCapExceeded,
    AllowanceRegimeConflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from backend.core.spreadsheet import safe_cell
from backend.organisations.models import Organisation
from backend.organisations.selectors import may_administer, may_manage, membership_role

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The share of the yearly cap at which the volunteer and the coordinators are warned.
WARN_AT = Decimal("0.8")
# The advisory lock's first key ("allw"); the volunteer's id is the second.
LEDGER_LOCK = 0x616C6C77


def money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _lock_ledger(volunteer_id: int) -> None:
    """One volunteer's entries are judged and written one at a time, whichever organisation
    writes them. An advisory lock (PostgreSQL), taken last in any transaction: it waits for
    nothing but another ledger write of the same person. SQLite serialises every write."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LEDGER_LOCK, volunteer_id])


def caps_for(year: int) -> AllowanceCap | None:
    return AllowanceCap.objects.filter(year=year).first()


def effective_entries() -> QuerySet[AllowanceEntry]:
    """Entries that count: those no correction replaced."""
    return AllowanceEntry.objects.filter(replaced_by__isnull=True)


# --- what a volunteer has had in a year -----------------------------------------------------


@dataclass(frozen=True)
class YearTotals:
    year: int
    # flat_rate or real_costs once the year has either; None before.
    regime: str | None
    flat_rate: Decimal  # every flat-rate amount, in Inzet and declared
    flat_rate_normal: Decimal  # the part outside the higher-cap categories
    real_costs: Decimal
    transport: Decimal
    transport_km: Decimal
    cap: AllowanceCap | None

    @property
    def yearly_room(self) -> Decimal | None:
        """What flat-rate amounts may still add this year (outside the higher categories)."""
        if self.cap is None:
            return None
        return max(
            min(self.cap.yearly - self.flat_rate_normal, self.cap.higher_yearly - self.flat_rate),
            ZERO,
        )

    @property
    def higher_room(self) -> Decimal | None:
        """What flat-rate amounts of the higher-cap categories may still add this year."""
        if self.cap is None:
            return None
        return max(self.cap.higher_yearly - self.flat_rate, ZERO)

    @property
    def km_room(self) -> Decimal | None:
        if self.cap is None:
            return None
        return max(Decimal(self.cap.transport_km) - self.transport_km, Decimal(0))

    @property
    def warn(self) -> bool:
        """At 80 % of the normal yearly cap or more."""
        return self.cap is not None and self.flat_rate >= self.cap.yearly * WARN_AT


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
        # The year's regime is the one with an amount, else the one with any row at all (a
        # corrected entry of zero, a declaration of 0 km still sets it).
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
    (``cap``: the year's caps row, read once by the caller). Two queries, whatever the number
    of volunteers."""
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


def year_totals(*, volunteer_id: int, year: int) -> YearTotals:
    """One volunteer's totals over every organisation and the declarations, in three
    queries (the caps row, the entries, the declarations)."""
    return year_totals_of(volunteer_ids=[volunteer_id], year=year, cap=caps_for(year))[volunteer_id]


def _day_flat_rate(volunteer_id: int, day: dt.date, *, excluding: int | None = None) -> Decimal:
    entries = effective_entries().filter(
        volunteer_id=volunteer_id, day=day, regime=Regime.FLAT_RATE
    )
    if excluding is not None:
        entries = entries.exclude(pk=excluding)
    declared = OutsideDeclaration.objects.filter(
        volunteer_id=volunteer_id, day=day, regime=Regime.FLAT_RATE
    )
    return money(entries.aggregate(a=Sum("amount"))["a"] or ZERO) + money(
        declared.aggregate(a=Sum("amount"))["a"] or ZERO
    )


# --- the rules ------------------------------------------------------------------------------


def _without(totals: YearTotals, entry: AllowanceEntry | None) -> YearTotals:
    """The totals as if ``entry`` (being corrected) were not there."""
    if entry is None:
        return totals
    flat = totals.flat_rate
    normal = totals.flat_rate_normal
    transport_km = totals.transport_km
    if entry.regime == Regime.FLAT_RATE:
        flat -= entry.amount
        if not entry.higher_category:
            normal -= entry.amount
    if entry.regime == Regime.TRANSPORT and entry.km is not None:
        transport_km -= entry.km
    return YearTotals(
        year=totals.year,
        regime=totals.regime,
        flat_rate=flat,
        flat_rate_normal=normal,
        real_costs=totals.real_costs
        - (entry.amount if entry.regime == Regime.REAL_COSTS else ZERO),
        transport=totals.transport - (entry.amount if entry.regime == Regime.TRANSPORT else ZERO),
        transport_km=transport_km,
        cap=totals.cap,
    )


def _check_regime(totals: YearTotals, regime: str) -> None:
    if regime == Regime.TRANSPORT or totals.regime in (None, regime):
        return
    raise AllowanceRegimeConflict()


def flat_rate_room(
    totals: YearTotals, day_total: Decimal, *, higher_category: str
) -> Decimal | None:
    """How much a flat-rate amount on a day with ``day_total`` may still be (None: no caps
    known for the year)."""
    cap = totals.cap
    if cap is None:
        return None
    yearly = totals.higher_room if higher_category else totals.yearly_room
    assert yearly is not None
    return max(min(cap.daily - day_total, yearly), ZERO)


def _judge(
    *,
    volunteer_id: int,
    day: dt.date,
    regime: str,
    amount: Decimal,
    km: Decimal | None,
    higher_category: str,
    replacing: AllowanceEntry | None = None,
) -> Decimal | None:
    """Refuse what the law does not allow; for a flat-rate amount, answer the room left
    (None when the year has no caps row: nothing is capped then)."""
    totals = _without(year_totals(volunteer_id=volunteer_id, year=day.year), replacing)
    _check_regime(totals, regime)
    cap = totals.cap
    if (
        regime == Regime.TRANSPORT
        and km is not None
        and cap is not None
        and totals.regime == Regime.FLAT_RATE
        and totals.transport_km + km > cap.transport_km
    ):
        raise AllowanceCapExceeded.kilometres(totals.km_room or Decimal(0))
    if regime != Regime.FLAT_RATE:
        return None
    if cap is not None and totals.transport_km > cap.transport_km:
        raise AllowanceRegimeConflict(
            _(
                "A flat-rate allowance goes with at most %(km)s km of transport costs a year, "
                "and this year has more."
            )
            % {"km": cap.transport_km}
        )
    day_total = _day_flat_rate(
        volunteer_id, day, excluding=replacing.pk if replacing is not None else None
    )
    return flat_rate_room(totals, day_total, higher_category=higher_category)


# --- writing --------------------------------------------------------------------------------


def _clean_amount(value: Decimal | None, field: str) -> Decimal:
    if value is None:
        raise ValidationFailed(fields={field: [_("This field is required.")]})
    amount = money(value)
    if amount < 0 or amount >= Decimal("10000000"):
        raise ValidationFailed(fields={field: [_("Give an amount from 0 to 9,999,999.99.")]})
    return amount


def _transport_amount(organisation: Organisation, km: Decimal | None) -> Decimal:
    if km is None or km <= 0 or km > 100_000:
        raise ValidationFailed(fields={"km": [_("Give a number of kilometres above 0.")]})
    policy = policy_of(organisation)
    return money(km * policy.km_rate)


@transaction.atomic
def entry_add(
    *,
    actor: User,
    organisation_id: int,
    volunteer_id: int,
    day: dt.date,
    regime: str,
    amount: Decimal | None = None,
    km: Decimal | None = None,
    higher_category: str = "",
    description: str = "",
) -> AllowanceEntry:
    """A coordinator enters an amount for a volunteer of their organisation (real costs
    against a receipt, transport, a flat-rate amount). Refused when it would pass a cap."""
    organisation = _managed(actor, organisation_id)
    if regime not in Regime.values:
        raise ValidationFailed(fields={"regime": [_("Choose flat_rate, real_costs or transport.")]})
    if higher_category not in HigherCapCategory.values:
        raise ValidationFailed(
            fields={"higher_category": [_("Choose one of the categories offered, or none.")]}
        )
    if not _is_volunteer_of(volunteer_id, organisation):
        raise ValidationFailed(fields={"volunteer": [_("Not a volunteer of this organisation.")]})
    if regime == Regime.TRANSPORT:
        amount = (
            _transport_amount(organisation, km)
            if amount is None
            else _clean_amount(amount, "amount")
        )
    else:
        amount = _clean_amount(amount, "amount")
        km = None
    _lock_ledger(volunteer_id)
    room = _judge(
        volunteer_id=volunteer_id,
        day=day,
        regime=regime,
        amount=amount,
        km=km,
        higher_category=higher_category,
    )
    if room is not None and amount > room:
        raise AllowanceCapExceeded.amount(room)
    return AllowanceEntry.objects.create(
        volunteer_id=volunteer_id,
        organisation=organisation,
        day=day,
        regime=regime,
        amount=amount,
        km=km,
        higher_category=higher_category if regime == Regime.FLAT_RATE else "",
        description=description.strip()[:300],
        created_by=actor,
    )


@transaction.atomic
def entry_correct(
    *,
    actor: User,
    entry_id: int,
    reason: str,
    amount: Decimal | None = None,
    km: Decimal | None = None,
) -> AllowanceEntry:
    """Correct an entry: a new entry replaces it (the old one stays, with who and why)."""
    original = AllowanceEntry.objects.select_related("organisation").filter(pk=entry_id).first()
    if original is None:
        raise NotFound()
    _managed(actor, original.organisation_id)
    if not reason.strip():
        raise ValidationFailed(fields={"reason": [_("Say why the amount changes.")]})
    _lock_ledger(original.volunteer_id)
    if AllowanceEntry.objects.filter(replaces=original).exists():
        raise ValidationFailed(
            fields={"entry": [_("This entry was corrected already; correct the newest one.")]}
        )
    if original.regime == Regime.TRANSPORT and km is not None and amount is None:
        amount = _transport_amount(original.organisation, km)
    amount = _clean_amount(amount, "amount")
    room = _judge(
        volunteer_id=original.volunteer_id,
        day=original.day,
        regime=original.regime,
        amount=amount,
        km=km if original.regime == Regime.TRANSPORT else None,
        higher_category=original.higher_category,
        replacing=original,
    )
    if room is not None and amount > room:
        raise AllowanceCapExceeded.amount(room)
    try:
        with transaction.atomic():
            return AllowanceEntry.objects.create(
                volunteer_id=original.volunteer_id,
                organisation_id=original.organisation_id,
                claim_id=original.claim_id,
                day=original.day,
                regime=original.regime,
                amount=amount,
                km=km if original.regime == Regime.TRANSPORT else None,
                higher_category=original.higher_category,
                description=original.description,
                replaces=original,
                reason=reason.strip()[:300],
                created_by=actor,
            )
    except IntegrityError:
        raise ValidationFailed(
            fields={"entry": [_("This entry was corrected already; correct the newest one.")]}
        ) from None


@dataclass(frozen=True)
class Completed:
    """What a completed claim tells the ledger (the shifts app passes it)."""

    claim_id: int
    volunteer_id: int
    organisation: Organisation
    starts_at: dt.datetime
    allowance_category: str


def entry_for_completed_claim(completed: Completed) -> AllowanceEntry | None:
    """The organisation's flat-rate allowance for a completed claim, lowered to what the caps
    still allow (nothing when no room is left or the policy pays none). Runs inside the
    attendance service's transaction; a claim gets one such entry (idempotent)."""
    organisation = completed.organisation
    policy = AllowancePolicy.objects.filter(organisation=organisation).first()
    if policy is None or policy.kind != PolicyKind.FLAT_RATE or policy.flat_rate_amount <= 0:
        return None
    day = completed.starts_at.astimezone(ZoneInfo(organisation.time_zone)).date()
    _lock_ledger(completed.volunteer_id)
    mine = effective_entries().filter(volunteer_id=completed.volunteer_id, regime=Regime.FLAT_RATE)
    if mine.filter(claim_id=completed.claim_id).exists():
        return None
    if (
        policy.flat_rate_per == FlatRatePer.DAY
        and mine.filter(organisation=organisation, day=day).exists()
    ):
        return None  # paid per day: this day has its amount already
    totals = year_totals(volunteer_id=completed.volunteer_id, year=day.year)
    if totals.regime == Regime.REAL_COSTS:
        return None  # the volunteer is paid real costs this year: no flat rate on top
    asked = policy.flat_rate_amount
    room = flat_rate_room(
        totals,
        _day_flat_rate(completed.volunteer_id, day),
        higher_category=completed.allowance_category,
    )
    amount = asked if room is None else min(asked, room)
    if amount <= 0:
        return None
    try:
        with transaction.atomic():
            return AllowanceEntry.objects.create(
                volunteer_id=completed.volunteer_id,
                organisation=organisation,
                claim_id=completed.claim_id,
                day=day,
                regime=Regime.FLAT_RATE,
                amount=amount,
                higher_category=completed.allowance_category,
                asked_amount=asked if amount < asked else None,
            )
    except IntegrityError:
        return None  # made by a parallel completion of the same claim


def warning_crossed(entry: AllowanceEntry) -> YearTotals | None:
    """The year's totals if ``entry`` took the volunteer's flat-rate allowances to 80 % of
    the yearly cap (it was below before); None otherwise."""
    if entry.regime != Regime.FLAT_RATE:
        return None
    totals = year_totals(volunteer_id=entry.volunteer_id, year=entry.day.year)
    if totals.cap is None:
        return None
    threshold = totals.cap.yearly * WARN_AT
    if totals.flat_rate - entry.amount < threshold <= totals.flat_rate:
        return totals
    return None


@transaction.atomic
def declaration_add(
    *,
    volunteer: User,
    year: int,
    organisation_name: str,
    regime: str,
    amount: Decimal | None = None,
    km: Decimal | None = None,
    day: dt.date | None = None,
) -> OutsideDeclaration:
    """A volunteer declares what an organisation outside Inzet paid them this year: it counts
    towards their caps (it is what they received, so it is recorded even above a cap; only a
    regime conflict is refused)."""
    name = organisation_name.strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["organisation_name"] = [_("This field may not be blank.")]
    if regime not in Regime.values:
        errors["regime"] = [_("Choose flat_rate, real_costs or transport.")]
    if day is not None and day.year != year:
        errors["day"] = [_("The day must fall in the year declared.")]
    if regime == Regime.TRANSPORT and (km is None or km <= 0):
        errors["km"] = [_("Give a number of kilometres above 0.")]
    if errors:
        raise ValidationFailed(fields=errors)
    value = _clean_amount(amount if amount is not None else ZERO, "amount")
    _lock_ledger(volunteer.pk)
    totals = year_totals(volunteer_id=volunteer.pk, year=year)
    _check_regime(totals, regime)
    return OutsideDeclaration.objects.create(
        volunteer=volunteer,
        year=year,
        organisation_name=name[:200],
        regime=regime,
        amount=value,
        km=km if regime == Regime.TRANSPORT else None,
        day=day,
    )


# --- the policy -----------------------------------------------------------------------------


def policy_of(organisation: Organisation) -> AllowancePolicy:
    """The organisation's policy (an unsaved "none" if it never set one)."""
    return AllowancePolicy.objects.filter(organisation=organisation).first() or AllowancePolicy(
        organisation=organisation
    )


@transaction.atomic
def policy_update(
    *,
    actor: User,
    organisation_id: int,
    kind: str | None = None,
    flat_rate_amount: Decimal | None = None,
    flat_rate_per: str | None = None,
    km_rate: Decimal | None = None,
) -> AllowancePolicy:
    """Admins set what the organisation pays. Fields left None stay."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None or not (
        actor.is_staff or membership_role(user=actor, organisation_id=organisation_id)
    ):
        raise NotFound()
    if not may_administer(user=actor, organisation_id=organisation_id):
        raise PermissionDenied(_("Only admins can change the allowance policy."))
    policy = policy_of(organisation)
    errors: dict[str, list[str]] = {}
    if kind is not None:
        if kind not in PolicyKind.values:
            errors["kind"] = [_("Choose none, flat_rate or real_costs.")]
        else:
            policy.kind = kind
    if flat_rate_per is not None:
        if flat_rate_per not in FlatRatePer.values:
            errors["flat_rate_per"] = [_("Choose shift or day.")]
        else:
            policy.flat_rate_per = flat_rate_per
    if flat_rate_amount is not None:
        amount = money(flat_rate_amount)
        cap = caps_for(timezone.localdate().year)
        if amount < 0 or (cap is not None and amount > cap.daily):
            errors["flat_rate_amount"] = [
                _("Give an amount from 0 to the daily cap (%(cap)s euro).")
                % {"cap": cap.daily if cap else "?"}
            ]
        else:
            policy.flat_rate_amount = amount
    if km_rate is not None:
        if km_rate < 0 or km_rate > 5:
            errors["km_rate"] = [_("Give an amount per kilometre from 0 to 5 euro.")]
        else:
            policy.km_rate = Decimal(km_rate).quantize(Decimal("0.0001"))
    if (
        policy.kind == PolicyKind.FLAT_RATE
        and policy.flat_rate_amount <= 0
        and "flat_rate_amount" not in errors
    ):
        errors["flat_rate_amount"] = [_("A flat-rate allowance needs an amount.")]
    if errors:
        raise ValidationFailed(fields=errors)
    policy.updated_by = actor
    policy.save()
    return policy


def cap_correct(*, actor: User, year: int, **values: Decimal | int | str) -> AllowanceCap:
    """Staff correct a year's caps; each changed value is recorded with its old value."""
    if not actor.is_staff:
        raise PermissionDenied()
    cap = AllowanceCap.objects.select_for_update().filter(year=year).first()
    if cap is None:
        raise NotFound()
    for field, value in values.items():
        if field not in ("daily", "yearly", "higher_yearly", "transport_km", "source"):
            raise ValidationFailed(fields={field: [_("This field cannot be changed.")]})
        old = getattr(cap, field)
        if old != value:
            AllowanceCapChange.objects.create(
                cap=cap, field=field, old_value=str(old), new_value=str(value), changed_by=actor
            )
            setattr(cap, field, value)
    cap.save()
    return cap


# --- reading --------------------------------------------------------------------------------


def _managed(actor: User, organisation_id: int) -> Organisation:
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None or not (
        actor.is_staff or membership_role(user=actor, organisation_id=organisation_id)
    ):
        raise NotFound()
    if not may_manage(user=actor, organisation_id=organisation_id):
        raise PermissionDenied()
    return organisation


def _is_volunteer_of(volunteer_id: int, organisation: Organisation) -> bool:
    """A member, or someone who had a claim on one of its shifts (a public shift)."""
    if organisation.memberships.filter(user_id=volunteer_id).exists():
        return True
    return organisation.shifts.filter(claims__volunteer_id=volunteer_id).exists()


def entries_of(*, volunteer_id: int, year: int) -> list[AllowanceEntry]:
    return list(
        effective_entries()
        .filter(volunteer_id=volunteer_id, day__year=year)
        .select_related("organisation")
        .order_by("day", "id")
    )


def organisation_ledger(
    *, actor: User, organisation_id: int, year: int
) -> tuple[Organisation, list[AllowanceEntry]]:
    """The organisation's effective entries of a year (coordinators), with names."""
    organisation = _managed(actor, organisation_id)
    entries = list(
        effective_entries()
        .filter(organisation=organisation, day__year=year)
        .select_related("volunteer__profile", "organisation")
        .order_by("day", "volunteer__profile__display_name", "id")
    )
    return organisation, entries


def nominative_list_csv(entries: Iterable[AllowanceEntry]) -> bytes:
    """The yearly nominative list for the organisation's books: name, date, amount, regime."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "date", "amount", "regime", "km", "description"])
    for entry in entries:
        profile = getattr(entry.volunteer, "profile", None)
        writer.writerow(
            [
                safe_cell(profile.display_name if profile else str(entry.volunteer)),
                entry.day.isoformat(),
                f"{entry.amount:.2f}",
                entry.regime,
                "" if entry.km is None else f"{entry.km}",
                safe_cell(entry.description),
            ]
        )
    return out.getvalue().encode("utf-8")


def caps_table() -> list[AllowanceCap]:
    return list(AllowanceCap.objects.order_by("year"))

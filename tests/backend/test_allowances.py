"""The volunteer allowance ledger and its legal caps: per day, per year (and the higher yearly
cap of the named activities), one regime a year, 2,000 km with flat-rate, amounts declared
from outside Inzet, corrections kept as history, and the entry a completed shift makes."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections
from django.utils import timezone

from backend.accounts.models import User
from backend.allowances.models import AllowanceCap, AllowanceEntry, Regime
from backend.allowances.services import (
    cap_correct,
    declaration_add,
    entry_add,
    entry_correct,
    nominative_list_csv,
    organisation_ledger,
    policy_update,
    year_totals,
)
from backend.core.errors import (
    AllowanceCapExceeded,
    AllowanceRegimeConflict,
    PermissionDenied,
    ValidationFailed,
)
from backend.organisations.models import Organisation, Role
from backend.shifts.models import Claim, ClaimStatus
from backend.shifts.services import claim_confirm_attendance
from tests.factories import MembershipFactory, UserFactory, ensure_allowance_caps, shift_at

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture(autouse=True)
def caps(db: None) -> None:
    ensure_allowance_caps()


@pytest.fixture
def admin(organisation: Organisation) -> User:
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


def add(
    actor: User, organisation: Organisation, volunteer: User, day: dt.date, amount: str, **more
):  # type: ignore[no-untyped-def]
    return entry_add(
        actor=actor,
        organisation_id=organisation.pk,
        volunteer_id=volunteer.pk,
        day=day,
        regime=more.pop("regime", Regime.FLAT_RATE),
        amount=Decimal(amount) if amount is not None else None,
        **more,
    )


D2025 = dt.date(2025, 6, 2)


def test_the_caps_are_data_one_row_per_year() -> None:
    rows = {c.year: (c.daily, c.yearly, c.higher_yearly) for c in AllowanceCap.objects.all()}
    assert rows[2024] == (Decimal("41.48"), Decimal("1659.29"), Decimal("3047.43"))
    assert rows[2025] == (Decimal("42.31"), Decimal("1692.51"), Decimal("3108.44"))
    assert rows[2026] == (Decimal("44.02"), Decimal("1760.83"), Decimal("3233.91"))
    assert all(c.source for c in AllowanceCap.objects.all())


def test_exactly_the_daily_cap_passes_and_one_cent_more_is_refused_with_what_remains(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    add(coordinator, organisation, volunteer, D2025, "30.00")
    with pytest.raises(AllowanceCapExceeded) as refused:
        add(coordinator, organisation, volunteer, D2025, "12.32")
    assert refused.value.code == "allowance_cap_exceeded"
    assert "12.31" in str(refused.value.detail)
    add(coordinator, organisation, volunteer, D2025, "12.31")
    assert year_totals(volunteer_id=volunteer.pk, year=2025).flat_rate == Decimal("42.31")


def test_the_yearly_cap_holds_across_organisations_and_declarations(
    organisation: Organisation,
    other_organisation: Organisation,
    coordinator: User,
    volunteer: User,
) -> None:
    other = MembershipFactory(organisation=other_organisation, role=Role.COORDINATOR).user
    MembershipFactory(organisation=other_organisation, user=volunteer)
    declaration_add(
        volunteer=volunteer,
        year=2025,
        organisation_name="Voetbalclub Ledeberg",
        regime=Regime.FLAT_RATE,
        amount=Decimal("1620.00"),
    )
    add(coordinator, organisation, volunteer, D2025, "42.31")
    # 1,692.51 - 1,620 - 42.31 = 30.20 left for the year.
    later = D2025 + dt.timedelta(days=1)
    with pytest.raises(AllowanceCapExceeded) as refused:
        add(other, other_organisation, volunteer, later, "42.31")
    assert "30.20" in str(refused.value.detail)
    add(other, other_organisation, volunteer, later, "30.20")
    totals = year_totals(volunteer_id=volunteer.pk, year=2025)
    assert (totals.flat_rate, totals.yearly_room, totals.warn) == (
        Decimal("1692.51"),
        Decimal("0.00"),
        True,
    )


def test_thirty_one_december_and_one_january_are_different_years(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    declaration_add(
        volunteer=volunteer,
        year=2025,
        organisation_name="Elders",
        regime=Regime.FLAT_RATE,
        amount=Decimal("1692.51"),
    )
    with pytest.raises(AllowanceCapExceeded):
        add(coordinator, organisation, volunteer, dt.date(2025, 12, 31), "0.01")
    add(coordinator, organisation, volunteer, dt.date(2026, 1, 1), "44.02")
    assert year_totals(volunteer_id=volunteer.pk, year=2026).flat_rate == Decimal("44.02")


def test_the_higher_cap_only_for_the_part_above_the_normal_cap_from_named_activities(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    declaration_add(
        volunteer=volunteer,
        year=2025,
        organisation_name="Elders",
        regime=Regime.FLAT_RATE,
        amount=Decimal("1692.51"),
    )
    # The normal cap is used up: an ordinary activity gets nothing more...
    with pytest.raises(AllowanceCapExceeded):
        add(coordinator, organisation, volunteer, D2025, "10.00")
    # ...night sitting with people in need of care may go on, up to the higher cap.
    add(coordinator, organisation, volunteer, D2025, "42.31", higher_category="care_sitting")
    totals = year_totals(volunteer_id=volunteer.pk, year=2025)
    assert totals.higher_room == Decimal("3108.44") - Decimal("1692.51") - Decimal("42.31")
    assert totals.yearly_room == Decimal("0.00")


def test_one_regime_a_year_but_transport_goes_with_either(
    organisation: Organisation, coordinator: User, volunteer: User, make_volunteer
) -> None:
    policy_update(
        actor=coordinator_admin(organisation),
        organisation_id=organisation.pk,
        km_rate=Decimal("0.4269"),
    )
    add(coordinator, organisation, volunteer, D2025, "20.00")
    with pytest.raises(AllowanceRegimeConflict) as refused:
        add(coordinator, organisation, volunteer, D2025, "35.00", regime=Regime.REAL_COSTS)
    assert refused.value.code == "allowance_regime_conflict"
    trip = add(
        coordinator, organisation, volunteer, D2025, None, regime=Regime.TRANSPORT, km=Decimal("12")
    )
    assert trip.amount == Decimal("5.12")  # 12 km x 0.4269, rounded to the cent
    other = make_volunteer()
    add(coordinator, organisation, other, D2025, "35.00", regime=Regime.REAL_COSTS)
    with pytest.raises(AllowanceRegimeConflict):
        add(coordinator, organisation, other, D2025, "10.00")
    with pytest.raises(AllowanceRegimeConflict):
        declaration_add(
            volunteer=other,
            year=2025,
            organisation_name="Elders",
            regime=Regime.FLAT_RATE,
            amount=Decimal("5"),
        )
    # Another year, another regime.
    add(coordinator, organisation, other, dt.date(2026, 2, 2), "10.00")


def coordinator_admin(organisation: Organisation) -> User:
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


def test_the_2000th_km_passes_with_flat_rate_and_the_2001st_does_not(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    add(coordinator, organisation, volunteer, D2025, "10.00")
    add(
        coordinator,
        organisation,
        volunteer,
        D2025,
        "0",
        regime=Regime.TRANSPORT,
        km=Decimal("1999"),
    )
    add(coordinator, organisation, volunteer, D2025, "0", regime=Regime.TRANSPORT, km=Decimal("1"))
    with pytest.raises(AllowanceCapExceeded) as refused:
        add(
            coordinator,
            organisation,
            volunteer,
            D2025,
            "0",
            regime=Regime.TRANSPORT,
            km=Decimal("1"),
        )
    assert "0" in str(refused.value.detail)
    assert year_totals(volunteer_id=volunteer.pk, year=2025).transport_km == Decimal("2000")


def test_real_costs_have_no_cap_nor_a_km_limit(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    add(coordinator, organisation, volunteer, D2025, "2500.00", regime=Regime.REAL_COSTS)
    add(
        coordinator,
        organisation,
        volunteer,
        D2025,
        "0",
        regime=Regime.TRANSPORT,
        km=Decimal("2500"),
    )
    totals = year_totals(volunteer_id=volunteer.pk, year=2025)
    assert (totals.regime, totals.real_costs, totals.transport_km) == (
        "real_costs",
        Decimal("2500.00"),
        Decimal("2500"),
    )


def test_a_correction_replaces_the_entry_and_keeps_it_with_its_reason(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    entry = add(coordinator, organisation, volunteer, D2025, "40.00")
    with pytest.raises(ValidationFailed):
        entry_correct(actor=coordinator, entry_id=entry.pk, amount=Decimal("20"), reason=" ")
    # The correction is judged without the amount it replaces: the day's cap holds.
    with pytest.raises(AllowanceCapExceeded):
        entry_correct(actor=coordinator, entry_id=entry.pk, amount=Decimal("42.32"), reason="x")
    fixed = entry_correct(
        actor=coordinator, entry_id=entry.pk, amount=Decimal("42.31"), reason="Twee shifts"
    )
    assert fixed.replaces_id == entry.pk and fixed.reason == "Twee shifts"
    assert AllowanceEntry.objects.filter(pk=entry.pk, amount=Decimal("40.00")).exists()
    assert year_totals(volunteer_id=volunteer.pk, year=2025).flat_rate == Decimal("42.31")
    with pytest.raises(ValidationFailed):
        entry_correct(actor=coordinator, entry_id=entry.pk, amount=Decimal("1"), reason="again")
    _, ledger = organisation_ledger(actor=coordinator, organisation_id=organisation.pk, year=2025)
    assert [e.pk for e in ledger] == [fixed.pk]


def test_only_coordinators_enter_and_only_for_their_volunteers(
    organisation: Organisation, coordinator: User, volunteer: User, outsider: User
) -> None:
    with pytest.raises(PermissionDenied):
        add(volunteer, organisation, volunteer, D2025, "10")
    with pytest.raises(ValidationFailed) as refused:
        add(coordinator, organisation, outsider, D2025, "10")
    assert "volunteer" in refused.value.fields
    assert not AllowanceEntry.objects.exists()


def _completed_claim(organisation: Organisation, volunteer: User, coordinator: User, **shift):  # type: ignore[no-untyped-def]
    started = shift_at(organisation, starts_in=-dt.timedelta(hours=3), **shift)
    Claim.objects.create(
        shift=started,
        volunteer=volunteer,
        status=ClaimStatus.CONFIRMED,
        confirmed_at=timezone.now(),
    )
    claim = Claim.objects.get(shift=started, volunteer=volunteer)
    return claim_confirm_attendance(actor=coordinator, claim_id=claim.pk)


def test_a_completed_shift_earns_the_flat_rate_lowered_to_what_the_caps_allow(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    admin = coordinator_admin(organisation)
    policy_update(
        actor=admin,
        organisation_id=organisation.pk,
        kind="flat_rate",
        flat_rate_amount=Decimal("25"),
    )
    first = _completed_claim(organisation, volunteer, coordinator)
    second = _completed_claim(organisation, volunteer, coordinator)
    today = first.shift.starts_at.astimezone(BRUSSELS).date()  # the shift's local day
    entries = list(AllowanceEntry.objects.order_by("id"))
    assert [(e.claim_id, e.amount, e.asked_amount, e.day) for e in entries] == [
        (first.pk, Decimal("25.00"), None, today),
        (
            second.pk,
            (AllowanceCap.objects.get(year=today.year).daily - 25),
            Decimal("25.00"),
            today,
        ),
    ]
    # Confirming again changes nothing.
    claim_confirm_attendance(actor=coordinator, claim_id=first.pk)
    assert AllowanceEntry.objects.count() == 2


def test_paid_per_day_two_shifts_on_a_day_earn_once(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    admin = coordinator_admin(organisation)
    policy_update(
        actor=admin,
        organisation_id=organisation.pk,
        kind="flat_rate",
        flat_rate_amount=Decimal("15"),
        flat_rate_per="day",
    )
    _completed_claim(organisation, volunteer, coordinator)
    _completed_claim(organisation, volunteer, coordinator)
    assert list(AllowanceEntry.objects.values_list("amount", flat=True)) == [Decimal("15.00")]


def test_without_a_policy_a_completed_shift_earns_nothing(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    _completed_claim(organisation, volunteer, coordinator)
    assert not AllowanceEntry.objects.exists()


def test_the_policy_is_for_admins_and_the_amount_within_the_daily_cap(
    organisation: Organisation, coordinator: User
) -> None:
    with pytest.raises(PermissionDenied):
        policy_update(actor=coordinator, organisation_id=organisation.pk, kind="flat_rate")
    admin = coordinator_admin(organisation)
    with pytest.raises(ValidationFailed) as refused:
        policy_update(
            actor=admin,
            organisation_id=organisation.pk,
            kind="flat_rate",
            flat_rate_amount=Decimal("100"),
        )
    assert set(refused.value.fields) == {"flat_rate_amount"}
    with pytest.raises(ValidationFailed):
        policy_update(actor=admin, organisation_id=organisation.pk, kind="flat_rate")


def test_a_cap_correction_is_recorded(organisation: Organisation) -> None:
    staff = UserFactory(is_staff=True)
    with pytest.raises(PermissionDenied):
        cap_correct(actor=UserFactory(), year=2026, daily=Decimal("44.03"))
    cap = cap_correct(actor=staff, year=2026, daily=Decimal("44.03"))
    [change] = cap.changes.all()
    assert (change.field, change.old_value, change.new_value, change.changed_by_id) == (
        "daily",
        "44.02",
        "44.03",
        staff.pk,
    )


def test_the_nominative_list(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    volunteer.profile.display_name = "An Peeters"
    volunteer.profile.save()
    add(coordinator, organisation, volunteer, D2025, "12.50", description="Wandeling")
    _, entries = organisation_ledger(actor=coordinator, organisation_id=organisation.pk, year=2025)
    text = nominative_list_csv(entries).decode()
    assert text.splitlines() == [
        "name,date,amount,regime,km,description",
        "An Peeters,2025-06-02,12.50,flat_rate,,Wandeling",
    ]


@pytest.mark.django_db(transaction=True)
def test_two_organisations_at_once_cannot_both_use_the_last_room(
    organisation: Organisation, other_organisation: Organisation
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row and advisory locks are PostgreSQL's")
    ensure_allowance_caps()
    volunteer = MembershipFactory(organisation=organisation).user
    MembershipFactory(organisation=other_organisation, user=volunteer)
    coordinators = [
        MembershipFactory(organisation=org, role=Role.COORDINATOR).user
        for org in (organisation, other_organisation)
    ]
    declaration_add(
        volunteer=volunteer,
        year=2025,
        organisation_name="Elders",
        regime=Regime.FLAT_RATE,
        amount=Decimal("1660.00"),
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def enter(index: int) -> None:
        try:
            barrier.wait()
            add(
                coordinators[index],
                (organisation, other_organisation)[index],
                volunteer,
                D2025 + dt.timedelta(days=index),
                "30.00",
            )
            outcomes.append("ok")
        except AllowanceCapExceeded:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=enter, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert year_totals(volunteer_id=volunteer.pk, year=2025).flat_rate == Decimal("1690.00")


def test_reaching_80_percent_of_the_yearly_cap_tells_the_volunteer_and_coordinators_once(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    from backend.notifications import messages
    from backend.notifications.models import Kind, Notification

    admin = coordinator_admin(organisation)
    policy_update(
        actor=admin,
        organisation_id=organisation.pk,
        kind="flat_rate",
        flat_rate_amount=Decimal("20"),
    )
    year = (timezone.now() - dt.timedelta(hours=3)).astimezone(BRUSSELS).year
    cap = AllowanceCap.objects.get(year=year)
    declaration_add(
        volunteer=volunteer,
        year=year,
        organisation_name="Elders",
        regime=Regime.FLAT_RATE,
        amount=(cap.yearly * Decimal("0.8") - 10).quantize(Decimal("0.01")),
    )
    claim = _completed_claim(organisation, volunteer, coordinator)
    rows = Notification.objects.filter(kind__in=[Kind.ALLOWANCE_WARNING, Kind.ALLOWANCE_NOTICE])
    assert sorted((r.kind, r.user_id) for r in rows) == sorted(
        [
            (Kind.ALLOWANCE_WARNING, volunteer.pk),
            (Kind.ALLOWANCE_NOTICE, coordinator.pk),
            (Kind.ALLOWANCE_NOTICE, admin.pk),
        ]
    )
    mine = rows.get(kind=Kind.ALLOWANCE_WARNING)
    text = messages.render(
        mine.kind,
        language="en",
        title=claim.shift.title,
        organisation=organisation.name,
        starts_at=claim.shift.starts_at,
        ends_at=claim.shift.ends_at,
        zone=BRUSSELS,
        amounts={k: mine.payload[k] for k in ("year", "total", "cap")},
    )
    assert f"{cap.yearly:.2f}" in text and "80 %" in text
    # The next completed shift, already over 80 %, tells nobody again.
    _completed_claim(organisation, volunteer, coordinator)
    assert rows.count() == 3

"""An organisation's figures for a year: a seeded history over several years, reproducible for
a past year after later changes and an erasure, in a constant number of queries, as JSON and
as CSV, for coordinators only."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.accounts.models import User
from backend.lifecycle.services import membership_end, user_erase
from backend.organisations.models import Membership, Organisation, Role
from backend.organisations.services import membership_set_role
from backend.shifts.figures import organisation_figures
from backend.shifts.models import Claim, ClaimStatus, Shift, ShiftMode, ShiftStatus
from tests.conftest import client_for
from tests.factories import MembershipFactory, OrganisationFactory, ShiftFactory, UserFactory

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BRUSSELS)


def member(organisation: Organisation, joined: dt.datetime, role: str = Role.VOLUNTEER) -> User:
    membership = MembershipFactory(organisation=organisation, role=role)
    Membership.objects.filter(pk=membership.pk).update(joined_at=joined)
    return membership.user


def past_shift(
    organisation: Organisation,
    start: dt.datetime,
    *,
    hours: int = 2,
    capacity: int = 2,
    taken: int = 0,
    mode: str = ShiftMode.ON_SITE,
    status: str = ShiftStatus.PUBLISHED,
) -> Shift:
    return ShiftFactory(
        organisation=organisation,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=hours),
        capacity=capacity,
        confirmed_count=taken,
        mode=mode,
        meeting_link="https://meet.example.org/x" if mode == ShiftMode.ONLINE else "",
        status=status,
    )


def claim(shift: Shift, user: User, status: str, minutes: int | None = None, **fields) -> Claim:
    return Claim.objects.create(
        shift=shift,
        volunteer=user,
        status=status,
        confirmed_at=shift.starts_at - dt.timedelta(days=3),
        minutes_volunteered=minutes,
        **fields,
    )


@pytest.fixture
def history() -> dict[str, object]:
    """Three years of one organisation: alice stays, bob leaves just after new year's eve
    (Brussels time), carla joins in 2024, misses a shift and completes another."""
    organisation = OrganisationFactory(name="Buurtzorg", slug="buurtzorg")
    alice = member(organisation, local(2023, 3, 1, 10))
    bob = member(organisation, local(2023, 6, 1, 10))
    carla = member(organisation, local(2024, 2, 1, 10))
    coordinator = member(organisation, local(2022, 1, 1), role=Role.COORDINATOR)

    a = past_shift(organisation, local(2023, 11, 7, 14), taken=2)
    claim(a, alice, ClaimStatus.COMPLETED, 120)
    claim(a, bob, ClaimStatus.COMPLETED, 120)

    b = past_shift(organisation, local(2024, 5, 14, 14), taken=2)
    claim(b, alice, ClaimStatus.COMPLETED, 120)
    claim(b, carla, ClaimStatus.NO_SHOW)
    claim(b, bob, ClaimStatus.CANCELLED, late_cancellation=True, cancelled_at=b.starts_at)
    c = past_shift(organisation, local(2024, 9, 10, 14), capacity=3, taken=1, mode="online")
    claim(c, alice, ClaimStatus.COMPLETED, 90)
    e = past_shift(organisation, local(2024, 10, 1, 9), capacity=1, taken=1)
    claim(e, carla, ClaimStatus.COMPLETED, 60)
    past_shift(organisation, local(2024, 12, 3, 9), status=ShiftStatus.CANCELLED)
    # New year's eve in Brussels is still 2024; the shift of 1 January 00:30 is 2025's.
    past_shift(organisation, local(2025, 1, 1, 0, 30), capacity=1)

    # Bob leaves at 00:30 on 1 January 2025 in Brussels (still 2024 in UTC).
    bob_membership = Membership.objects.get(user=bob)
    membership_end(actor=bob, membership_id=bob_membership.pk)
    from backend.organisations.models import PastMembership

    PastMembership.objects.filter(user=bob).update(ended_at=local(2025, 1, 1, 0, 30))
    return {
        "organisation": organisation,
        "alice": alice,
        "bob": bob,
        "carla": carla,
        "coordinator": coordinator,
    }


def test_the_figures_of_2024(history: dict) -> None:
    figures = organisation_figures(organisation=history["organisation"], year=2024)
    year = figures["figures"]

    assert year["volunteers"] == {
        "active_by_membership": 3,  # alice, bob (leaves in 2025), carla
        "active_by_shifts": 2,  # alice, carla
        "new": 1,
        "stopped": 0,
    }
    assert year["hours"] == 4.5
    assert (year["completed_claims"], year["no_shows"], year["late_cancellations"]) == (3, 1, 1)
    assert year["shifts"] == {
        "published": 3,
        "cancelled": 1,
        "filled": 2,
        "seats": 6,
        "seats_taken": 4,
        "fill_rate": 0.6667,
    }
    assert year["rates"] == {"no_show_rate": 0.25, "late_cancellation_rate": 0.2}
    assert year["modes"] == {
        "on_site": {"shifts": 2, "hours": 3.0},
        "online": {"shifts": 1, "hours": 1.5},
    }
    trend = {change["figure"]: change for change in figures["trend"]}
    assert trend["active_volunteers_by_membership"] == {
        "figure": "active_volunteers_by_membership",
        "previous": 2.0,
        "current": 3.0,
        "change": 1.0,
        "percent": 50.0,
        "direction": "growing",
    }
    assert trend["hours"]["percent"] == 12.5
    assert [y["year"] for y in figures["previous_years"]] == [2023, 2022, 2021, 2020]
    assert figures["previous_years"][0]["volunteers"]["active_by_membership"] == 2


def test_the_year_after_shows_who_stopped_and_a_decline(history: dict) -> None:
    figures = organisation_figures(organisation=history["organisation"], year=2025)
    assert figures["figures"]["volunteers"] == {
        "active_by_membership": 2,
        "active_by_shifts": 0,
        "new": 0,
        "stopped": 1,
    }
    assert figures["figures"]["shifts"]["published"] == 1
    trend = {change["figure"]: change for change in figures["trend"]}
    assert trend["hours"]["direction"] == "declining"
    assert trend["hours"]["percent"] == -100.0


def test_a_past_year_is_the_same_after_later_changes_and_an_erasure(history: dict) -> None:
    organisation = history["organisation"]
    before = organisation_figures(organisation=organisation, year=2024)

    user_erase(user=history["carla"])
    alice_membership = Membership.objects.get(user=history["alice"])
    membership_end(actor=history["alice"], membership_id=alice_membership.pk)
    Membership.objects.filter(user=history["coordinator"]).update(role=Role.ADMIN)

    after = organisation_figures(organisation=organisation, year=2024)
    assert after == before
    assert not User.objects.filter(pk=history["carla"].pk, is_active=True).exists()
    # Today's year does see them stop.
    this_year = organisation_figures(organisation=organisation, year=dt.date.today().year)
    assert this_year["figures"]["volunteers"]["stopped"] == 2


def test_a_past_year_is_the_same_after_role_changes(history: dict) -> None:
    """Carla, a volunteer in 2024, becomes a coordinator in 2025; the coordinator becomes a
    volunteer. 2024 keeps counting the roles of 31 December 2024."""
    organisation = history["organisation"]
    admin = member(organisation, local(2022, 1, 1), role=Role.ADMIN)
    before = organisation_figures(organisation=organisation, year=2024)

    with time_machine.travel(local(2025, 3, 1, 12), tick=False):
        for who, role in (
            (history["carla"], Role.COORDINATOR),
            (history["coordinator"], "volunteer"),
        ):
            membership = Membership.objects.get(user=who, organisation=organisation)
            membership_set_role(actor=admin, membership=membership, role=role)

    assert organisation_figures(organisation=organisation, year=2024) == before
    assert before["figures"]["volunteers"]["active_by_membership"] == 3
    # In 2025 alice and the former coordinator are the volunteers (bob left, carla promoted).
    year_2025 = organisation_figures(organisation=organisation, year=2025)["figures"]
    assert year_2025["volunteers"]["active_by_membership"] == 2
    assert year_2025["volunteers"]["new"] == 0


def test_a_promoted_volunteer_who_left_still_counts_in_the_years_they_volunteered(
    history: dict,
) -> None:
    organisation = history["organisation"]
    admin = member(organisation, local(2022, 1, 1), role=Role.ADMIN)
    alice = Membership.objects.get(user=history["alice"], organisation=organisation)
    with time_machine.travel(local(2025, 3, 1, 12), tick=False):
        membership_set_role(actor=admin, membership=alice, role=Role.COORDINATOR)
    with time_machine.travel(local(2025, 6, 1, 12), tick=False):
        membership_end(actor=history["alice"], membership_id=alice.pk)

    figures = organisation_figures(organisation=organisation, year=2024)["figures"]
    assert figures["volunteers"]["active_by_membership"] == 3
    assert (
        organisation_figures(organisation=organisation, year=2023)["figures"]["volunteers"]["new"]
        == 2
    )


def test_the_query_count_does_not_grow_with_the_number_of_volunteers(history: dict) -> None:
    organisation = history["organisation"]
    with CaptureQueriesContext(connection) as few:
        organisation_figures(organisation=organisation, year=2024)

    busy = past_shift(organisation, local(2024, 6, 1, 14), capacity=60, taken=60)
    for _ in range(60):
        claim(busy, member(organisation, local(2024, 1, 1)), ClaimStatus.COMPLETED, 120)
    with CaptureQueriesContext(connection) as many:
        figures = organisation_figures(organisation=organisation, year=2024)

    assert figures["figures"]["volunteers"]["active_by_shifts"] == 62
    assert len(many) == len(few) == 5  # four aggregates and the allowances


# --- API -------------------------------------------------------------------------------------


def test_coordinators_get_the_figures_as_json_and_csv(history: dict) -> None:
    organisation = history["organisation"]
    client = client_for(history["coordinator"])
    url = f"/api/v1/organisations/{organisation.pk}/stats/"

    as_json = client.get(url, {"year": 2024})
    as_csv = client.get(url, {"year": 2024, "format": "csv"})
    by_accept = client.get(url + "?year=2024", HTTP_ACCEPT="text/csv")

    assert as_json.status_code == 200
    assert as_json.json()["figures"]["hours"] == 4.5
    assert as_csv.status_code == 200
    assert as_csv["Content-Type"].startswith("text/csv")
    assert "buurtzorg-2024.csv" in as_csv["Content-Disposition"]
    rows = dict(csv.reader(io.StringIO(as_csv.content.decode())))
    assert rows["figure"] == "value"
    assert rows["volunteers.active_by_membership"] == "3"
    assert rows["hours"] == "4.5"
    assert rows["shifts.fill_rate"] == "0.6667"
    assert rows["trend.hours.direction"] == "growing"
    assert by_accept.content == as_csv.content


def test_figures_are_for_coordinators_of_the_organisation_only(history: dict) -> None:
    organisation = history["organisation"]
    url = f"/api/v1/organisations/{organisation.pk}/stats/"
    outsider = UserFactory()

    assert client_for(history["alice"]).get(url).json()["code"] == "permission_denied"
    assert client_for(outsider).get(url, {"format": "csv"}).status_code == 404
    bad = client_for(history["coordinator"]).get(url, {"year": "twenty", "format": "csv"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid"


def test_subsidy_figures_split_verified_and_planned_hours_and_sum_the_allowances(
    history: dict,
) -> None:
    from decimal import Decimal

    from backend.allowances.models import AllowanceEntry

    organisation = history["organisation"]
    volunteer = member(organisation, local(2024, 1, 1))
    planned = past_shift(organisation, local(2024, 11, 5, 10), capacity=3, taken=1)
    claim(planned, volunteer, ClaimStatus.CONFIRMED, None)
    for amount, regime, km in (("15.00", "flat_rate", None), ("4.27", "transport", "10")):
        AllowanceEntry.objects.create(
            volunteer=volunteer,
            organisation=organisation,
            day=dt.date(2024, 11, 5),
            regime=regime,
            amount=Decimal(amount),
            km=Decimal(km) if km else None,
        )
    year = organisation_figures(organisation=organisation, year=2024)["figures"]
    assert year["subsidy"] == {"year": 2026, "report_due": "2025-04-30"}
    assert year["hours_verified"] == year["hours"]
    assert year["hours_planned"] == 2.0  # the confirmed claim's shift, not recorded yet
    assert year["allowances"] == {
        "volunteers": 1,
        "flat_rate": 15.0,
        "real_costs": 0.0,
        "transport": 4.27,
        "transport_km": 10.0,
    }

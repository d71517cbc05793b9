"""The volunteer allowance through the API: the policy, a coordinator's entries and
corrections, what a volunteer sees (totals, remaining, entries, declarations), the nominative
list and the caps table."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.accounts.models import User
from backend.organisations.models import Organisation, Role
from tests.conftest import client_for
from tests.factories import MembershipFactory, ensure_allowance_caps

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def caps() -> None:
    ensure_allowance_caps()


@pytest.fixture
def admin(organisation: Organisation) -> User:
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


def base(organisation: Organisation) -> str:
    return f"/api/v1/organisations/{organisation.pk}/"


def test_admins_set_the_policy_and_members_read_it(
    organisation: Organisation, admin: User, coordinator: User, volunteer: User
) -> None:
    url = base(organisation) + "allowance-policy/"
    assert client_for(volunteer).get(url).json()["kind"] == "none"
    refused = client_for(coordinator).patch(url, {"kind": "flat_rate"}, format="json")
    assert refused.status_code == 403
    too_much = client_for(admin).patch(
        url, {"kind": "flat_rate", "flat_rate_amount": "50.00"}, format="json"
    )
    assert too_much.status_code == 400 and "flat_rate_amount" in too_much.json()["fields"]
    set_ = client_for(admin).patch(
        url,
        {
            "kind": "flat_rate",
            "flat_rate_amount": "15.00",
            "flat_rate_per": "day",
            "km_rate": "0.43",
        },
        format="json",
    )
    assert set_.status_code == 200, set_.json()
    assert set_.json() == {
        "kind": "flat_rate",
        "flat_rate_amount": "15.00",
        "flat_rate_per": "day",
        "km_rate": "0.4300",
    }
    assert client_for(volunteer).get(url).json()["flat_rate_amount"] == "15.00"


def test_a_coordinators_entry_is_refused_above_the_cap_and_the_volunteer_sees_the_rest(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    entries = base(organisation) + "allowances/"
    app = client_for(volunteer)
    declared = app.post(
        "/api/v1/me/allowance/declarations/",
        {
            "year": 2025,
            "organisation_name": "Voetbalclub",
            "regime": "flat_rate",
            "amount": "1652.00",
        },
        format="json",
    )
    assert declared.status_code == 201, declared.json()
    body = {"volunteer": volunteer.pk, "day": "2025-05-05", "regime": "flat_rate"}
    over = client_for(coordinator).post(entries, body | {"amount": "40.52"}, format="json")
    assert over.status_code == 409 and over.json()["code"] == "allowance_cap_exceeded"
    assert "40.51" in over.json()["detail"]
    made = client_for(coordinator).post(entries, body | {"amount": "40.00"}, format="json")
    assert made.status_code == 201, made.json()
    conflict = client_for(coordinator).post(
        entries, body | {"regime": "real_costs", "amount": "10.00"}, format="json"
    )
    assert conflict.status_code == 409 and conflict.json()["code"] == "allowance_regime_conflict"

    mine = app.get("/api/v1/me/allowance/?year=2025").json()
    assert (mine["regime"], mine["flat_rate"], mine["remaining"], mine["warning"]) == (
        "flat_rate",
        "1692.00",
        "0.51",
        True,
    )
    assert mine["cap"]["yearly"] == "1692.51"
    assert [e["amount"] for e in mine["entries"]] == ["40.00"]
    assert mine["declarations"][0]["organisation_name"] == "Voetbalclub"
    assert app.get("/api/v1/me/allowance/?year=1800").status_code == 400


def test_a_correction_keeps_the_old_entry_and_the_list_shows_the_new(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    entries = base(organisation) + "allowances/"
    made = (
        client_for(coordinator)
        .post(
            entries,
            {
                "volunteer": volunteer.pk,
                "day": "2025-05-05",
                "regime": "flat_rate",
                "amount": "20.00",
            },
            format="json",
        )
        .json()
    )
    url = f"{entries}{made['id']}/correct/"
    no_reason = client_for(coordinator).post(url, {"amount": "10.00", "reason": ""}, format="json")
    assert no_reason.status_code == 400
    # A reason without the amount names the missing field (it was a 500, found by schemathesis).
    no_amount = client_for(coordinator).post(url, {"reason": "0"}, format="json")
    assert no_amount.status_code == 400 and "amount" in no_amount.json()["fields"]
    fixed = client_for(coordinator).post(
        url, {"amount": "10.00", "reason": "Halve shift"}, format="json"
    )
    assert fixed.status_code == 201, fixed.json()
    assert (fixed.json()["replaces"], fixed.json()["reason"]) == (made["id"], "Halve shift")
    listed = client_for(coordinator).get(entries + "?year=2025").json()
    assert [e["id"] for e in listed] == [fixed.json()["id"]]
    assert (
        client_for(volunteer).post(url, {"amount": "1", "reason": "x"}, format="json").status_code
        == 403
    )


def test_the_nominative_list_as_csv_and_its_query_count(
    organisation: Organisation, coordinator: User, make_volunteer
) -> None:
    entries = base(organisation) + "allowances/"
    for n in range(3):
        person = make_volunteer()
        person.profile.display_name = f"Vrijwilliger {n}"
        person.profile.save()
        client_for(coordinator).post(
            entries,
            {
                "volunteer": person.pk,
                "day": f"2025-05-0{n + 1}",
                "regime": "flat_rate",
                "amount": "12.00",
            },
            format="json",
        )
    client = client_for(coordinator)
    with CaptureQueriesContext(connection) as few:
        client.get(entries + "?year=2025")
    for _ in range(5):
        person = make_volunteer()
        client.post(
            entries,
            {"volunteer": person.pk, "day": "2025-06-01", "regime": "flat_rate", "amount": "12.00"},
            format="json",
        )
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(entries + "?year=2025").json()) == 8
    assert len(many) == len(few)
    download = client.get(entries + "?year=2025&format=csv")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0] == ["name", "date", "amount", "regime", "km", "description"]
    assert rows[1][:4] == ["Vrijwilliger 0", "2025-05-01", "12.00", "flat_rate"]


def test_the_caps_table_is_public_to_every_signed_in_user(volunteer: User) -> None:
    rows = client_for(volunteer).get("/api/v1/allowance-caps/").json()
    by_year = {r["year"]: r for r in rows}
    assert by_year[2026]["daily"] == "44.02" and by_year[2026]["higher_yearly"] == "3233.91"
    assert by_year[2025]["transport_km"] == 2000
    assert by_year[2026]["source"]


def test_transport_paid_by_the_kilometre_at_the_policys_rate(
    organisation: Organisation, admin: User, coordinator: User, volunteer: User
) -> None:
    client_for(admin).patch(
        base(organisation) + "allowance-policy/", {"km_rate": "0.4269"}, format="json"
    )
    trip = client_for(coordinator).post(
        base(organisation) + "allowances/",
        {"volunteer": volunteer.pk, "day": "2025-05-05", "regime": "transport", "km": "25"},
        format="json",
    )
    assert trip.status_code == 201, trip.json()
    assert (trip.json()["amount"], trip.json()["km"]) == ("10.67", "25.0")
    assert Decimal(trip.json()["amount"]) == (Decimal("25") * Decimal("0.4269")).quantize(
        Decimal("0.01")
    )


def test_an_entry_is_answered_in_json_even_to_a_client_that_accepts_csv(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    made = client_for(coordinator).post(
        base(organisation) + "allowances/",
        {"volunteer": volunteer.pk, "day": "2025-05-05", "regime": "flat_rate", "amount": "5.00"},
        format="json",
        HTTP_ACCEPT="text/csv",
    )
    assert made.status_code == 201
    assert made["Content-Type"].startswith("application/json") and made.json()["amount"] == "5.00"

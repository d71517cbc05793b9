"""Belgian volunteer law through the API: an app reads and acknowledges the information note
before its first claim, admins write versions, coordinators get the proof; the date of birth
and a shift's minimum age; publishing waits for the insurance."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from backend.accounts.models import User
from backend.organisations.models import InfoNoteAcknowledgement, Organisation, Role
from backend.shifts.models import Claim
from tests.conftest import client_for
from tests.factories import MembershipFactory, UserFactory, shift_at

pytestmark = pytest.mark.django_db

NOTE = {
    "purpose": "Gezelschap en activiteiten voor de bewoners.",
    "legal_form": "non_profit",
    "insurer": "Ethias",
    "policy_number": "45.123.456",
    "allowance_kind": "flat_rate",
    "allowance_details": "15 euro per shift",
    "discretion": "Discretie over bewoners.",
}


@pytest.fixture
def admin(organisation: Organisation) -> User:
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


def note_url(organisation: Organisation, tail: str = "") -> str:
    return f"/api/v1/organisations/{organisation.pk}/info-note/{tail}"


def test_an_app_reads_and_acknowledges_the_note_then_its_claim_goes_through(
    organisation: Organisation, admin: User, volunteer: User
) -> None:
    app = client_for(volunteer)
    missing = app.get(note_url(organisation))
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"

    written = client_for(admin).put(note_url(organisation), NOTE, format="json")
    assert written.status_code == 200, written.json()
    assert written.json()["version"] == 1 and written.json()["required_version"] == 1

    shift = shift_at(organisation)
    refused = app.post(f"/api/v1/shifts/{shift.pk}/claim/")
    assert refused.status_code == 409
    assert refused.json()["code"] == "info_note_required"
    assert not Claim.objects.exists()

    note = app.get(note_url(organisation)).json()
    assert note["purpose"] == NOTE["purpose"] and note["insurer"] == "Ethias"
    assert (note["acknowledged_version"], note["up_to_date"]) == (None, False)
    assert note["work_nature"] == ""  # not under the care decree

    acknowledged = app.post(note_url(organisation, "acknowledge/"), {"version": 1}, format="json")
    assert acknowledged.status_code == 200, acknowledged.json()
    assert acknowledged.json()["up_to_date"] and acknowledged.json()["acknowledged_version"] == 1
    assert InfoNoteAcknowledgement.objects.get().channel == "app"

    claimed = app.post(f"/api/v1/shifts/{shift.pk}/claim/")
    assert claimed.status_code == 201, claimed.json()


def test_a_new_material_version_is_acknowledged_by_its_number(
    organisation: Organisation, admin: User, volunteer: User
) -> None:
    client_for(admin).put(note_url(organisation), NOTE, format="json")
    app = client_for(volunteer)
    app.post(note_url(organisation, "acknowledge/"), {"version": 1}, format="json")
    correction = client_for(admin).put(
        note_url(organisation), NOTE | {"purpose": "Gezelschap.", "material": False}, format="json"
    )
    assert (correction.json()["version"], correction.json()["required_version"]) == (2, 1)
    assert app.get(note_url(organisation)).json()["up_to_date"]
    client_for(admin).put(note_url(organisation), NOTE | {"insurer": "AG"}, format="json")
    mine = app.get(note_url(organisation)).json()
    assert (mine["version"], mine["required_version"], mine["up_to_date"]) == (3, 3, False)
    stale = app.post(note_url(organisation, "acknowledge/"), {"version": 2}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "info_note_changed"
    fresh = app.post(note_url(organisation, "acknowledge/"), {"version": 3}, format="json")
    assert fresh.json()["up_to_date"]


def test_only_admins_write_and_a_wrong_note_names_its_fields(
    organisation: Organisation, admin: User, coordinator: User, volunteer: User
) -> None:
    assert (
        client_for(coordinator).put(note_url(organisation), NOTE, format="json").status_code == 403
    )
    assert client_for(volunteer).put(note_url(organisation), NOTE, format="json").status_code == 403
    wrong = client_for(admin).put(
        note_url(organisation), NOTE | {"legal_form": "de_facto"}, format="json"
    )
    assert wrong.status_code == 400
    assert set(wrong.json()["fields"]) == {"responsible_person"}
    unknown = client_for(admin).put(
        note_url(organisation), NOTE | {"legal_form": "plc"}, format="json"
    )
    assert unknown.status_code == 400 and "legal_form" in unknown.json()["fields"]
    assert not organisation.info_notes.exists()


def test_coordinators_get_the_proof_as_json_and_csv(
    organisation: Organisation, admin: User, coordinator: User, volunteer: User
) -> None:
    client_for(admin).put(note_url(organisation), NOTE, format="json")
    client_for(volunteer).post(
        note_url(organisation, "acknowledge/"), {"version": 1}, format="json"
    )
    rows = client_for(coordinator).get(note_url(organisation, "acknowledgements/"))
    assert rows.status_code == 200
    [row] = rows.json()
    assert (row["user"], row["version"], row["channel"], row["up_to_date"]) == (
        volunteer.pk,
        1,
        "app",
        True,
    )
    download = client_for(coordinator).get(note_url(organisation, "acknowledgements/?format=csv"))
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"]
    table = list(csv.reader(io.StringIO(download.content.decode())))
    assert table[1][0] == str(volunteer.pk) and table[1][3:5] == ["1", "app"]
    refused = client_for(volunteer).get(note_url(organisation, "acknowledgements/"))
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    refused_csv = client_for(volunteer).get(note_url(organisation, "acknowledgements/?format=csv"))
    assert refused_csv.status_code == 403 and refused_csv.json()["code"] == "permission_denied"


def test_an_organisation_made_in_the_app_publishes_once_the_insurance_is_named() -> None:
    creator = UserFactory()
    app = client_for(creator)
    organisation = app.post("/api/v1/organisations/", {"name": "Buurtzorg"}, format="json").json()
    assert organisation["publish_requires_insurance"] and organisation["info_note_version"] is None
    starts = timezone.now() + dt.timedelta(days=3)
    shift = {
        "organisation": organisation["id"],
        "title": "Wandeling",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + dt.timedelta(hours=2)).isoformat(),
        "capacity": 2,
        "address": "Kerkstraat 1, 9050 Gent",
    }
    refused = app.post("/api/v1/shifts/", shift | {"publish": True}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "info_note_incomplete"
    draft = app.post("/api/v1/shifts/", shift, format="json").json()
    url = f"/api/v1/organisations/{organisation['id']}/"
    off = app.patch(url, {"publish_requires_insurance": False}, format="json")
    assert off.status_code == 200 and off.json()["publish_requires_insurance"] is False
    published = app.post(f"/api/v1/shifts/{draft['id']}/publish/")
    assert published.status_code == 200 and published.json()["status"] == "published"


def test_the_organisation_settings_for_the_law(organisation: Organisation, admin: User) -> None:
    url = f"/api/v1/organisations/{organisation.pk}/"
    answer = client_for(admin).patch(
        url, {"care_decree": True, "requires_birth_date": True}, format="json"
    )
    assert answer.status_code == 200
    assert answer.json()["care_decree"] and answer.json()["requires_birth_date"]
    organisation.refresh_from_db()
    assert organisation.care_decree and organisation.requires_birth_date


def test_the_date_of_birth_and_a_shifts_minimum_age(
    organisation: Organisation, volunteer: User, coordinator: User
) -> None:
    starts = timezone.now() + dt.timedelta(days=3)
    created = client_for(coordinator).post(
        "/api/v1/shifts/",
        {
            "organisation": organisation.pk,
            "title": "Thuiszorg",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + dt.timedelta(hours=2)).isoformat(),
            "capacity": 2,
            "address": "Kerkstraat 1, 9000 Gent",
            "min_age": 18,
            "publish": True,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["min_age"] == 18
    shift_id = created.json()["id"]
    too_low = client_for(coordinator).patch(
        f"/api/v1/shifts/{shift_id}/", {"min_age": 12}, format="json"
    )
    assert too_low.status_code == 400 and "min_age" in too_low.json()["fields"]

    app = client_for(volunteer)
    asked = app.post(f"/api/v1/shifts/{shift_id}/claim/")
    assert asked.status_code == 409 and asked.json()["code"] == "birth_date_required"
    day = timezone.localdate() + dt.timedelta(days=3)
    seventeen = day.replace(year=day.year - 17)
    me = app.patch("/api/v1/me/", {"birth_date": seventeen.isoformat()}, format="json")
    assert me.status_code == 200 and me.json()["birth_date"] == seventeen.isoformat()
    young = app.post(f"/api/v1/shifts/{shift_id}/claim/")
    assert young.status_code == 409 and young.json()["code"] == "too_young"
    future = app.patch("/api/v1/me/", {"birth_date": "2999-01-01"}, format="json")
    assert future.status_code == 400 and "birth_date" in future.json()["fields"]
    export = app.get("/api/v1/me/export/").json()
    assert export["profile"]["birth_date"] == seventeen.isoformat()
    assert export["info_note_acknowledgements"] == []


def test_joining_gives_the_date_of_birth_an_organisation_asks_for(
    organisation: Organisation, admin: User
) -> None:
    from backend.organisations.services import invite_create, organisation_update

    organisation_update(actor=admin, organisation_id=organisation.pk, requires_birth_date=True)
    code = invite_create(actor=admin, organisation=organisation, role=Role.VOLUNTEER).code
    newcomer = UserFactory()
    app = client_for(newcomer)
    wrong = app.post(
        "/api/v1/organisations/join/", {"code": code, "birth_date": "2999-01-01"}, format="json"
    )
    assert wrong.status_code == 400 and "birth_date" in wrong.json()["fields"]
    joined = app.post(
        "/api/v1/organisations/join/", {"code": code, "birth_date": "2001-03-31"}, format="json"
    )
    assert joined.status_code == 200 and joined.json()["requires_birth_date"] is True
    assert app.get("/api/v1/me/").json()["birth_date"] == "2001-03-31"

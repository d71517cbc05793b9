"""Personal data: the export, erasure (figures stay right, waitlists move up, Telegram is
unlinked, no more log-in), and who may see whose personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from backend.accounts.models import User, VolunteerProfile
from backend.notifications.models import ClaimFeedback, Notification
from backend.notifications.services import reminders_plan
from backend.organisations.models import Membership, Organisation, PastMembership, Role
from backend.shifts.models import Claim, ClaimStatus
from backend.shifts.services import claim_create
from tests.conftest import client_for
from tests.factories import PASSWORD, MembershipFactory, QualificationFactory, shift_at

pytestmark = pytest.mark.django_db


def _with_phone(user: User, phone: str) -> User:
    VolunteerProfile.objects.filter(user=user).update(phone=phone, postcode="9000")
    return user


def test_the_export_holds_all_personal_data(volunteer: User, organisation: Organisation) -> None:
    _with_phone(volunteer, "+32 470 12 34 56")
    qualification = QualificationFactory(organisation=organisation, name="EHBO")
    volunteer.qualifications.create(qualification=qualification)
    shift = shift_at(organisation)
    claim_create(volunteer=volunteer, shift_id=shift.pk)

    response = client_for(volunteer).get("/api/v1/me/export/")

    assert response.status_code == 200
    data = response.json()
    assert data["account"]["email"] == volunteer.email
    assert data["profile"]["phone"] == "+32 470 12 34 56"
    assert data["profile"]["postcode"] == "9000"
    assert data["memberships"][0]["organisation"] == organisation.name
    assert data["qualifications"][0]["qualification"] == "EHBO"
    assert [(c["shift"], c["status"]) for c in data["claims"]] == [(shift.title, "confirmed")]


def test_the_export_holds_what_was_sent_to_them_and_their_answers(
    volunteer: User, organisation: Organisation, django_assert_max_num_queries: Any
) -> None:
    shifts = [shift_at(organisation, starts_in=dt.timedelta(days=d)) for d in (2, 3, 4)]
    claims = [claim_create(volunteer=volunteer, shift_id=s.pk).claim for s in shifts]
    for claim in claims:  # what the worker does with a confirmation
        reminders_plan(claim_id=claim.pk, caused_at=timezone.now())
    ClaimFeedback.objects.create(
        claim=claims[0],
        score=2,
        comment="De bus kwam niet",
        answered_at=timezone.now(),
        needs_follow_up=True,
        handled_note="Gebeld, opgelost",
    )
    reminders = Notification.objects.filter(user=volunteer).exclude(kind="plan").count()
    assert reminders >= 3

    with django_assert_max_num_queries(12):  # the same for one shift or many
        data = client_for(volunteer).get("/api/v1/me/export/").json()

    assert len(data["notifications"]) == Notification.objects.filter(user=volunteer).count()
    assert {n["shift"] for n in data["notifications"]} == {s.title for s in shifts}
    assert all(n["status"] and n["scheduled_for"] for n in data["notifications"])
    [answer] = data["follow_ups"]
    assert (answer["shift"], answer["score"], answer["comment"]) == (
        shifts[0].title,
        2,
        "De bus kwam niet",
    )
    assert answer["handled_note"] == "Gebeld, opgelost"


def test_the_export_is_only_ever_ones_own(volunteer: User, coordinator: User) -> None:
    _with_phone(volunteer, "+32 470 00 00 01")
    mine = client_for(coordinator).get("/api/v1/me/export/").json()
    assert mine["account"]["email"] == coordinator.email
    assert "+32 470 00 00 01" not in str(mine)
    assert APIClient().get("/api/v1/me/export/").status_code == 401


def test_erasure_anonymises_cancels_future_claims_promotes_and_unlinks_telegram(
    volunteer: User, make_volunteer, organisation: Organisation
) -> None:
    VolunteerProfile.objects.filter(user=volunteer).update(telegram_chat_id=4242, phone="0470")
    shift = shift_at(organisation, capacity=1)
    claim_create(volunteer=volunteer, shift_id=shift.pk)
    waiting = make_volunteer()
    assert claim_create(volunteer=waiting, shift_id=shift.pk).claim.status == "waitlisted"
    email = volunteer.email
    token = client_for(volunteer).post(
        "/api/v1/auth/token/", {"email": email, "password": PASSWORD}, format="json"
    )
    access = token.json()["access"]

    # Asked for the password once more: a wrong one (a phone left unlocked) erases nothing.
    wrong = client_for(volunteer).delete("/api/v1/me/", {"password": "raden"}, format="json")
    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_password"
    missing = client_for(volunteer).delete("/api/v1/me/")
    assert missing.status_code == 400 and "password" in missing.json()["fields"]
    assert VolunteerProfile.objects.get(user=volunteer).display_name != "—"

    response = client_for(volunteer).delete("/api/v1/me/", {"password": PASSWORD}, format="json")

    assert response.status_code == 204
    volunteer.refresh_from_db()
    profile = VolunteerProfile.objects.get(user=volunteer)
    assert volunteer.email is None and not volunteer.is_active
    assert (profile.display_name, profile.phone, profile.telegram_chat_id) == ("—", "", None)
    assert Claim.objects.get(shift=shift, volunteer=volunteer).status == ClaimStatus.CANCELLED
    assert Claim.objects.get(shift=shift, volunteer=waiting).status == ClaimStatus.CONFIRMED
    assert not Membership.objects.filter(user=volunteer).exists()
    assert PastMembership.objects.filter(user=volunteer, organisation=organisation).exists()
    assert not volunteer.qualifications.exists()
    # The old token and the password no longer work.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert api.get("/api/v1/me/").status_code == 401
    relogin = APIClient().post(
        "/api/v1/auth/token/", {"email": email, "password": PASSWORD}, format="json"
    )
    assert relogin.status_code == 401


def test_erasure_keeps_past_completed_claims_for_the_figures(
    volunteer: User, organisation: Organisation
) -> None:
    past = shift_at(organisation, starts_in=dt.timedelta(days=-10))
    Claim.objects.create(
        shift=past, volunteer=volunteer, status=ClaimStatus.COMPLETED, minutes_volunteered=120
    )
    erased = client_for(volunteer).delete("/api/v1/me/", {"password": PASSWORD}, format="json")
    assert erased.status_code == 204
    assert Claim.objects.get(shift=past).minutes_volunteered == 120


# --- who sees whose personal data -------------------------------------------------------------


def test_coordinators_see_phone_numbers_only_of_volunteers_with_a_claim_on_their_shift(
    volunteer: User, make_volunteer, coordinator: User, outsider: User, organisation: Organisation
) -> None:
    _with_phone(volunteer, "+32 470 11 11 11")
    bystander = _with_phone(make_volunteer(), "+32 470 22 22 22")
    shift = shift_at(organisation)
    claim_create(volunteer=volunteer, shift_id=shift.pk)

    claims = client_for(coordinator).get(f"/api/v1/shifts/{shift.pk}/claims/").json()["results"]
    members = client_for(coordinator).get(f"/api/v1/organisations/{organisation.pk}/members/")

    assert [(c["volunteer_id"], c["phone"]) for c in claims] == [(volunteer.pk, "+32 470 11 11 11")]
    assert "+32 470" not in members.content.decode()
    assert bystander.pk in [m["user_id"] for m in members.json()["results"]]
    # Another organisation's coordinator sees neither list.
    assert client_for(outsider).get(f"/api/v1/shifts/{shift.pk}/claims/").status_code == 404
    other = client_for(outsider).get(f"/api/v1/organisations/{organisation.pk}/members/")
    assert other.status_code == 404
    # Volunteers see no one's.
    assert client_for(volunteer).get(f"/api/v1/shifts/{shift.pk}/claims/").status_code == 403


def test_a_cancelled_claim_no_longer_shows_the_phone_number(
    volunteer: User, coordinator: User, organisation: Organisation
) -> None:
    _with_phone(volunteer, "+32 470 11 11 11")
    shift = shift_at(organisation)
    claim_create(volunteer=volunteer, shift_id=shift.pk)
    client_for(volunteer).delete(f"/api/v1/shifts/{shift.pk}/claim/")
    claims = client_for(coordinator).get(f"/api/v1/shifts/{shift.pk}/claims/").json()["results"]
    assert [c["phone"] for c in claims] == [None]


def test_a_member_who_left_is_no_longer_listed_to_the_coordinator(
    volunteer: User, coordinator: User, organisation: Organisation
) -> None:
    membership = Membership.objects.get(user=volunteer)
    response = client_for(volunteer).post(f"/api/v1/organisations/{organisation.pk}/leave/")
    assert response.status_code == 204
    members = client_for(coordinator).get(f"/api/v1/organisations/{organisation.pk}/members/")
    assert volunteer.pk not in [m["user_id"] for m in members.json()["results"]]
    past = PastMembership.objects.get(user=volunteer)
    assert past.joined_at == membership.joined_at
    assert past.ended_at <= timezone.now()


@pytest.mark.django_db(transaction=True)  # the lock order is tracked in real transactions only
def test_leaving_with_several_upcoming_claims_cancels_them_all_and_promotes(
    volunteer: User, make_volunteer, organisation: Organisation
) -> None:
    """Found by schemathesis: the second cancellation asked for the profile locks after the
    first had locked its shift (500 LockOrderError)."""
    shifts = [shift_at(organisation, starts_in=dt.timedelta(days=d), capacity=1) for d in (2, 3)]
    waiting = make_volunteer()
    for shift in shifts:
        claim_create(volunteer=volunteer, shift_id=shift.pk)
        claim_create(volunteer=waiting, shift_id=shift.pk)

    response = client_for(volunteer).post(f"/api/v1/organisations/{organisation.pk}/leave/")

    assert response.status_code == 204
    assert set(Claim.objects.filter(volunteer=volunteer).values_list("status", flat=True)) == {
        ClaimStatus.CANCELLED
    }
    assert set(Claim.objects.filter(volunteer=waiting).values_list("status", flat=True)) == {
        ClaimStatus.CONFIRMED
    }


def test_the_last_admin_cannot_leave(organisation: Organisation) -> None:
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    response = client_for(admin).post(f"/api/v1/organisations/{organisation.pk}/leave/")
    assert response.status_code == 400
    assert Membership.objects.filter(user=admin).exists()

import datetime as dt

import pytest
from django.utils import timezone

from backend.organisations.models import Membership
from backend.shifts.models import Claim, ClaimStatus, Shift, ShiftStatus
from backend.shifts.services import claim_create
from tests.conftest import client_for
from tests.factories import QualificationFactory, ShiftFactory

pytestmark = pytest.mark.django_db


def claim(user, shift):
    return client_for(user).post(f"/api/v1/shifts/{shift.pk}/claim/")


def test_claiming_answers_201_then_200_for_the_same_claim(volunteer, organisation):
    shift = ShiftFactory(organisation=organisation)
    first = claim(volunteer, shift)
    again = claim(volunteer, shift)
    assert first.status_code == 201
    assert first.json()["status"] == "confirmed"
    assert first.json()["address"] == shift.address
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Claim.objects.count() == 1


def test_a_full_shift_waitlists_in_order_and_shows_the_position(organisation, make_volunteer):
    shift = ShiftFactory(organisation=organisation, capacity=1)
    assert claim(make_volunteer(), shift).json()["status"] == "confirmed"
    second = claim(make_volunteer(), shift).json()
    third = claim(make_volunteer(), shift).json()
    assert (second["status"], second["waitlist_position"]) == ("waitlisted", 1)
    assert (third["status"], third["waitlist_position"]) == ("waitlisted", 2)


def test_a_full_shift_without_waitlist_answers_shift_full(organisation, make_volunteer):
    shift = ShiftFactory(organisation=organisation, capacity=1, waitlist_enabled=False)
    claim(make_volunteer(), shift)
    response = claim(make_volunteer(), shift)
    assert response.status_code == 409
    assert response.json()["code"] == "shift_full"
    assert response.json()["detail"]


def test_claim_conflicts_have_stable_codes(organisation, volunteer):
    overlapping = ShiftFactory(organisation=organisation)
    claim(volunteer, overlapping)
    same_time = ShiftFactory(organisation=organisation, starts_at=overlapping.starts_at)
    assert claim(volunteer, same_time).json()["code"] == "overlap"

    needs = ShiftFactory(
        organisation=organisation,
        starts_at=overlapping.starts_at + dt.timedelta(days=1),
        ends_at=overlapping.ends_at + dt.timedelta(days=1),
    )
    needs.required_qualifications.add(QualificationFactory(organisation=organisation))
    assert claim(volunteer, needs).json()["code"] == "not_qualified"

    started = ShiftFactory(organisation=organisation)
    Shift.objects.filter(pk=started.pk).update(
        starts_at=timezone.now() - dt.timedelta(minutes=5),
        ends_at=timezone.now() + dt.timedelta(hours=1),
    )
    response = claim(volunteer, started)
    assert (response.status_code, response.json()["code"]) == (409, "shift_started")

    cancelled = ShiftFactory(organisation=organisation, status=ShiftStatus.CANCELLED)
    response = claim(volunteer, cancelled)
    assert (response.status_code, response.json()["code"]) == (409, "shift_not_open")


def test_a_draft_shift_cannot_be_claimed_even_by_its_coordinator(organisation, coordinator):
    draft = ShiftFactory(organisation=organisation, status=ShiftStatus.DRAFT)
    response = claim(coordinator, draft)
    assert (response.status_code, response.json()["code"]) == (409, "shift_not_open")


def test_claiming_a_public_shift_shows_you_that_shift_and_nothing_else_of_the_organisation(
    organisation, outsider
):
    shift = ShiftFactory(organisation=organisation, visibility="public")
    members_only = ShiftFactory(organisation=organisation)
    assert claim(outsider, shift).status_code == 201
    assert not Membership.objects.filter(user=outsider, organisation=organisation).exists()
    client = client_for(outsider)
    listed = client.get("/api/v1/shifts/", {"organisation": organisation.pk}).json()
    ids = [row["id"] for row in listed["results"]]
    assert shift.pk in ids and members_only.pk not in ids
    assert client.get(f"/api/v1/shifts/{members_only.pk}/").status_code == 404
    assert client.get(f"/api/v1/organisations/{organisation.pk}/").status_code == 404


def test_claiming_a_draft_answers_404_like_reading_it(organisation, volunteer):
    draft = ShiftFactory(organisation=organisation, status="draft")
    response = claim(volunteer, draft)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client_for(volunteer).get(f"/api/v1/shifts/{draft.pk}/").status_code == 404


def test_volunteers_hold_at_most_the_configured_number_of_upcoming_claims(
    organisation, volunteer, settings
):
    settings.INZET_MAX_UPCOMING_CLAIMS = 2
    shifts = [
        ShiftFactory(
            organisation=organisation,
            starts_at=timezone.now() + dt.timedelta(days=day + 1),
            ends_at=timezone.now() + dt.timedelta(days=day + 1, hours=1),
        )
        for day in range(3)
    ]
    assert [claim(volunteer, s).status_code for s in shifts] == [201, 201, 409]
    assert claim(volunteer, shifts[2]).json()["code"] == "too_many_claims"


def test_cancelling_frees_the_seat_for_the_first_in_line(organisation, make_volunteer):
    # Three days ahead: before the 24-hour deadline whatever the time of day (the factory's
    # "tomorrow 14:00" is past it every afternoon).
    start = timezone.now() + dt.timedelta(days=3)
    shift = ShiftFactory(
        organisation=organisation,
        capacity=1,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
    )
    first, second = make_volunteer(), make_volunteer()
    claim(first, shift)
    claim(second, shift)
    response = client_for(first).delete(f"/api/v1/shifts/{shift.pk}/claim/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["late_cancellation"] is False
    mine = client_for(second).get("/api/v1/me/claims/").json()["results"]
    assert [(c["shift"], c["status"]) for c in mine] == [(shift.pk, "confirmed")]


def test_cancelling_after_the_deadline_is_flagged_late(organisation, volunteer):
    shift = ShiftFactory(organisation=organisation, cancellation_deadline_hours=48)
    claim(volunteer, shift)
    response = client_for(volunteer).delete(f"/api/v1/shifts/{shift.pk}/claim/")
    assert response.json()["late_cancellation"] is True


def test_cancelling_a_claim_you_do_not_have_answers_no_claim(organisation, volunteer):
    shift = ShiftFactory(organisation=organisation)
    response = client_for(volunteer).delete(f"/api/v1/shifts/{shift.pk}/claim/")
    assert (response.status_code, response.json()["code"]) == (404, "no_claim")


def test_a_confirmed_online_claim_reveals_the_meeting_link(organisation, make_volunteer):
    shift = ShiftFactory(
        organisation=organisation,
        mode="online",
        address="",
        meeting_link="https://meet.example.org/huiswerk",
        capacity=1,
    )
    confirmed = claim(make_volunteer(), shift).json()
    waiting = claim(make_volunteer(), shift).json()
    assert confirmed["meeting_link"] == "https://meet.example.org/huiswerk"
    assert waiting["meeting_link"] is None


def test_volunteers_see_only_their_own_claims(organisation, make_volunteer):
    shift = ShiftFactory(organisation=organisation)
    alice, bob = make_volunteer(), make_volunteer()
    claim(alice, shift)
    assert client_for(bob).get("/api/v1/me/claims/").json()["count"] == 0
    assert client_for(bob).get(f"/api/v1/shifts/{shift.pk}/claims/").status_code == 403


def test_coordinators_see_and_cancel_claims_of_their_shifts_only(
    organisation, coordinator, outsider, volunteer
):
    shift = ShiftFactory(organisation=organisation)
    claim_id = claim_create(volunteer=volunteer, shift_id=shift.pk).claim.pk
    listed = client_for(coordinator).get(f"/api/v1/shifts/{shift.pk}/claims/").json()["results"]
    assert [c["id"] for c in listed] == [claim_id]
    path = f"/api/v1/shifts/{shift.pk}/claims/{claim_id}/"
    assert client_for(outsider).delete(path).status_code == 404
    assert client_for(volunteer).delete(path).status_code == 403
    response = client_for(coordinator).delete(path)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert Claim.objects.get(pk=claim_id).status == ClaimStatus.CANCELLED


def test_claims_are_throttled_per_user(organisation, volunteer, settings):
    from django.core.cache import cache

    cache.clear()
    shift = ShiftFactory(organisation=organisation)
    statuses = {claim(volunteer, shift).status_code for _ in range(60)}
    assert statuses == {200, 201}
    blocked = claim(volunteer, shift)
    assert (blocked.status_code, blocked.json()["code"]) == (429, "throttled")
    cache.clear()

"""Check-in and check-out, attendance confirmed by a coordinator, no-shows and the claim block
they lead to, and the hours each completed claim records."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from backend.accounts.models import User
from backend.core.errors import (
    CheckInNotPossible,
    ClaimBlocked,
    NotCheckedIn,
    PermissionDenied,
    ShiftNotEnded,
)
from backend.organisations.models import Membership, Organisation
from backend.organisations.services import membership_clear_claim_block
from backend.shifts.models import Claim, ClaimStatus
from backend.shifts.services import (
    claim_check_in,
    claim_check_out,
    claim_confirm_attendance,
    claim_create,
    claim_mark_no_show,
)
from realtime.events import organisation_group
from tests.backend.conftest import EventListener
from tests.conftest import client_for
from tests.factories import shift_at

pytestmark = pytest.mark.django_db


def _claimed(volunteer: User, organisation: Organisation, **fields: object) -> Claim:
    shift = shift_at(organisation, **fields)  # type: ignore[arg-type]
    return claim_create(volunteer=volunteer, shift_id=shift.pk).claim


def test_a_volunteer_checks_in_and_out_and_the_claim_is_completed_with_the_hours(
    volunteer: User, organisation: Organisation
) -> None:
    claim = _claimed(volunteer, organisation)
    start = claim.shift.starts_at

    with time_machine.travel(start - dt.timedelta(minutes=10), tick=False):
        checked_in = claim_check_in(actor=volunteer, claim_id=claim.pk)
    with time_machine.travel(start + dt.timedelta(hours=1, minutes=35), tick=False):
        done = claim_check_out(actor=volunteer, claim_id=claim.pk)

    assert checked_in.checked_in_at == start - dt.timedelta(minutes=10)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.COMPLETED
    assert claim.minutes_volunteered == 105
    assert done.checked_out_at == start + dt.timedelta(hours=1, minutes=35)


def test_checking_in_too_early_or_after_the_shift_is_refused_for_the_volunteer(
    volunteer: User, coordinator: User, organisation: Organisation
) -> None:
    claim = _claimed(volunteer, organisation)
    with (
        time_machine.travel(claim.shift.starts_at - dt.timedelta(hours=1), tick=False),
        pytest.raises(CheckInNotPossible),
    ):
        claim_check_in(actor=volunteer, claim_id=claim.pk)
    late = claim.shift.ends_at + dt.timedelta(minutes=5)
    with time_machine.travel(late, tick=False):
        with pytest.raises(CheckInNotPossible):
            claim_check_in(actor=volunteer, claim_id=claim.pk)
        # The coordinator can still fix the record afterwards.
        assert claim_check_in(actor=coordinator, claim_id=claim.pk).checked_in_at is not None


def test_checking_out_without_checking_in_is_refused(
    volunteer: User, organisation: Organisation
) -> None:
    claim = _claimed(volunteer, organisation)
    with (
        time_machine.travel(claim.shift.starts_at + dt.timedelta(minutes=5), tick=False),
        pytest.raises(NotCheckedIn),
    ):
        claim_check_out(actor=volunteer, claim_id=claim.pk)


def test_a_forgotten_check_out_counts_until_the_end_of_the_shift_plus_the_grace(
    volunteer: User, organisation: Organisation
) -> None:
    claim = _claimed(volunteer, organisation)
    with time_machine.travel(claim.shift.starts_at, tick=False):
        claim_check_in(actor=volunteer, claim_id=claim.pk)
    with time_machine.travel(claim.shift.starts_at + dt.timedelta(days=2), tick=False):
        claim_check_out(actor=volunteer, claim_id=claim.pk)
    claim.refresh_from_db()
    assert claim.minutes_volunteered == 4 * 60  # 2 h shift + 2 h grace


def test_another_volunteer_cannot_check_someone_in(
    volunteer: User, make_volunteer, organisation: Organisation
) -> None:
    claim = _claimed(volunteer, organisation)
    with (
        time_machine.travel(claim.shift.starts_at, tick=False),
        pytest.raises(PermissionDenied),
    ):
        claim_check_in(actor=make_volunteer(), claim_id=claim.pk)


def test_a_coordinator_confirms_attendance_with_the_shifts_times_as_hours(
    volunteer: User, coordinator: User, organisation: Organisation
) -> None:
    claim = _claimed(volunteer, organisation, hours=3)
    with time_machine.travel(claim.shift.ends_at + dt.timedelta(hours=1), tick=False):
        claim_confirm_attendance(actor=coordinator, claim_id=claim.pk)
    claim.refresh_from_db()
    assert (claim.status, claim.minutes_volunteered) == (ClaimStatus.COMPLETED, 180)


def test_no_show_only_after_the_shift_ended_and_only_by_a_coordinator(
    volunteer: User, coordinator: User, outsider: User, organisation: Organisation
) -> None:
    claim = _claimed(volunteer, organisation)
    with (
        time_machine.travel(claim.shift.starts_at + dt.timedelta(minutes=30), tick=False),
        pytest.raises(ShiftNotEnded),
    ):
        claim_mark_no_show(actor=coordinator, claim_id=claim.pk)
    with time_machine.travel(claim.shift.ends_at + dt.timedelta(minutes=1), tick=False):
        with pytest.raises(PermissionDenied):
            claim_mark_no_show(actor=outsider, claim_id=claim.pk)
        with pytest.raises(PermissionDenied):
            claim_mark_no_show(actor=volunteer, claim_id=claim.pk)
        claim_mark_no_show(actor=coordinator, claim_id=claim.pk)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NO_SHOW
    assert Membership.objects.get(user=volunteer).no_show_count == 1


def test_a_volunteer_who_checked_in_is_not_a_no_show(
    volunteer: User, coordinator: User, organisation: Organisation
) -> None:
    claim = _claimed(volunteer, organisation)
    with time_machine.travel(claim.shift.starts_at, tick=False):
        claim_check_in(actor=volunteer, claim_id=claim.pk)
    with (
        time_machine.travel(claim.shift.ends_at + dt.timedelta(hours=3), tick=False),
        pytest.raises(CheckInNotPossible),
    ):
        claim_mark_no_show(actor=coordinator, claim_id=claim.pk)


def _miss(volunteer: User, coordinator: User, organisation: Organisation, days: int) -> None:
    claim = _claimed(volunteer, organisation, starts_in=dt.timedelta(days=days))
    with time_machine.travel(claim.shift.ends_at + dt.timedelta(minutes=1), tick=False):
        claim_mark_no_show(actor=coordinator, claim_id=claim.pk)


def test_two_no_shows_block_claims_in_that_organisation_until_a_coordinator_clears_it(
    volunteer: User, coordinator: User, organisation: Organisation, other_organisation
) -> None:
    _miss(volunteer, coordinator, organisation, days=1)
    shift = shift_at(organisation, starts_in=dt.timedelta(days=5))
    assert claim_create(volunteer=volunteer, shift_id=shift.pk).claim.status == "confirmed"

    _miss(volunteer, coordinator, organisation, days=2)
    later = shift_at(organisation, starts_in=dt.timedelta(days=6))
    with pytest.raises(ClaimBlocked) as refused:
        claim_create(volunteer=volunteer, shift_id=later.pk)
    assert str(refused.value.detail) == str(ClaimBlocked.default_detail)  # says why
    assert not Claim.objects.filter(shift=later).exists()

    # Other organisations are not affected.
    Membership.objects.create(user=volunteer, organisation=other_organisation)
    elsewhere = shift_at(other_organisation, starts_in=dt.timedelta(days=7))
    assert claim_create(volunteer=volunteer, shift_id=elsewhere.pk).claim.status == "confirmed"

    membership = Membership.objects.get(user=volunteer, organisation=organisation)
    membership_clear_claim_block(actor=coordinator, membership=membership)
    assert claim_create(volunteer=volunteer, shift_id=later.pk).claim.status == "confirmed"


def test_the_no_show_limit_is_set_per_organisation(
    volunteer: User, coordinator: User, organisation: Organisation
) -> None:
    organisation.no_show_limit = 1
    organisation.save()
    _miss(volunteer, coordinator, organisation, days=1)
    shift = shift_at(organisation, starts_in=dt.timedelta(days=5))
    with pytest.raises(ClaimBlocked):
        claim_create(volunteer=volunteer, shift_id=shift.pk)


def test_the_block_check_adds_no_query_to_claiming(
    volunteer: User, organisation: Organisation, django_assert_max_num_queries
) -> None:
    warm = shift_at(organisation, starts_in=dt.timedelta(days=3))
    claim_create(volunteer=volunteer, shift_id=warm.pk)
    shift = shift_at(organisation, starts_in=dt.timedelta(days=5))
    # profile lock, the one annotated read, seat update, insert, the notification row
    # (+ savepoint bookkeeping)
    with django_assert_max_num_queries(7):
        claim_create(volunteer=volunteer, shift_id=shift.pk)


# --- API -------------------------------------------------------------------------------------


def test_check_in_and_out_through_the_api(volunteer: User, organisation: Organisation) -> None:
    claim = _claimed(volunteer, organisation)
    client = client_for(volunteer)
    with time_machine.travel(claim.shift.starts_at, tick=False):
        checked_in = client.post(f"/api/v1/shifts/{claim.shift_id}/check-in/")
    with time_machine.travel(claim.shift.ends_at, tick=False):
        checked_out = client.post(f"/api/v1/shifts/{claim.shift_id}/check-out/")
    assert checked_in.status_code == 200
    assert checked_in.json()["checked_in_at"] is not None
    assert checked_out.json()["status"] == "completed"
    assert checked_out.json()["hours"] == 2.0


def test_coordinator_endpoints_are_closed_to_volunteers_and_other_organisations(
    volunteer: User, coordinator: User, outsider: User, organisation: Organisation
) -> None:
    claim = _claimed(volunteer, organisation)
    url = f"/api/v1/shifts/{claim.shift_id}/claims/{claim.pk}/no-show/"
    with time_machine.travel(claim.shift.ends_at + dt.timedelta(minutes=1), tick=False):
        assert client_for(outsider).post(url).status_code == 404
        assert client_for(volunteer).post(url).status_code == 403
        early = client_for(coordinator).post(
            f"/api/v1/shifts/{claim.shift_id}/claims/{claim.pk}/check-out/"
        )
        response = client_for(coordinator).post(url)
    assert early.json()["code"] == "not_checked_in"
    assert response.status_code == 200
    assert response.json()["status"] == "no_show"


def test_claim_blocked_answers_409_with_its_code_and_a_coordinator_clears_it(
    volunteer: User, coordinator: User, organisation: Organisation
) -> None:
    organisation.no_show_limit = 1
    organisation.save()
    _miss(volunteer, coordinator, organisation, days=1)
    shift = shift_at(organisation, starts_in=dt.timedelta(days=5))
    refused = client_for(volunteer).post(f"/api/v1/shifts/{shift.pk}/claim/")
    assert refused.status_code == 409
    assert refused.json()["code"] == "claim_blocked"

    membership = Membership.objects.get(user=volunteer, organisation=organisation)
    url = f"/api/v1/organisations/{organisation.pk}/members/{membership.pk}/block/"
    assert client_for(volunteer).delete(url).status_code == 403
    assert client_for(coordinator).get(url).json()["no_show_count"] == 1
    cleared = client_for(coordinator).delete(url)
    assert cleared.json()["claims_blocked_at"] is None
    assert client_for(volunteer).post(f"/api/v1/shifts/{shift.pk}/claim/").status_code == 201


def test_history_lists_past_shifts_and_hours_per_organisation_and_year(
    volunteer: User, coordinator: User, organisation: Organisation
) -> None:
    done = _claimed(volunteer, organisation, hours=3)
    missed = _claimed(volunteer, organisation, starts_in=dt.timedelta(days=4))
    upcoming = _claimed(volunteer, organisation, starts_in=dt.timedelta(days=30))
    with time_machine.travel(missed.shift.ends_at + dt.timedelta(hours=1), tick=False):
        claim_confirm_attendance(actor=coordinator, claim_id=done.pk)
        claim_mark_no_show(actor=coordinator, claim_id=missed.pk)
        body = client_for(volunteer).get("/api/v1/me/history/").json()

    assert [s["claim_id"] for s in body["shifts"]] == [missed.pk, done.pk]
    assert upcoming.pk not in [s["claim_id"] for s in body["shifts"]]
    assert [s["status"] for s in body["shifts"]] == ["no_show", "completed"]
    year = done.shift.starts_at.year
    assert body["totals"] == [
        {
            "organisation_id": organisation.pk,
            "organisation_name": organisation.name,
            "year": year,
            "shifts": 1,
            "hours": 3.0,
        }
    ]
    assert body["total_hours"] == 3.0


# --- live ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_check_in_appears_live_on_the_organisations_board_channel(
    listener: EventListener, volunteer: User, organisation: Organisation
) -> None:
    # No time travel here: the Redis layer forgets subscriptions older than a day.
    claim = _claimed(volunteer, organisation, starts_in=dt.timedelta(minutes=10))
    listener.subscribe(organisation_group(organisation.pk))
    claim_check_in(actor=volunteer, claim_id=claim.pk)
    [event] = listener.events(1)
    assert event["type"] == "claim.checked_in"
    assert event["claim"]["id"] == claim.pk


def test_a_coordinator_records_a_whole_shifts_attendance_in_one_call(
    volunteer: User, make_volunteer, coordinator: User, organisation: Organisation
) -> None:
    shift = shift_at(organisation, hours=3)
    came, absent, checked_out = volunteer, make_volunteer(), make_volunteer()
    claims = {
        u: claim_create(volunteer=u, shift_id=shift.pk).claim for u in (came, absent, checked_out)
    }
    with time_machine.travel(shift.starts_at, tick=False):
        claim_check_in(actor=checked_out, claim_id=claims[checked_out].pk)
    with time_machine.travel(shift.starts_at + dt.timedelta(hours=1), tick=False):
        claim_check_out(actor=checked_out, claim_id=claims[checked_out].pk)
    url = f"/api/v1/shifts/{shift.pk}/attendance/"
    body = {"absent": [claims[absent].pk]}

    with time_machine.travel(shift.starts_at + dt.timedelta(hours=1), tick=False):
        too_early = client_for(coordinator).post(url, body, format="json")
    with time_machine.travel(shift.ends_at + dt.timedelta(hours=1), tick=False):
        assert client_for(volunteer).post(url, body, format="json").status_code == 403
        wrong = client_for(coordinator).post(
            url, {"absent": [claims[checked_out].pk]}, format="json"
        )
        response = client_for(coordinator).post(url, body, format="json")

    assert too_early.json()["code"] == "shift_not_ended"
    assert wrong.status_code == 400
    assert response.status_code == 200
    result = {
        c.volunteer_id: (c.status, c.minutes_volunteered) for c in Claim.objects.filter(shift=shift)
    }
    assert result == {
        came.pk: ("completed", 180),
        absent.pk: ("no_show", None),
        checked_out.pk: ("completed", 60),  # their own check-out stands
    }

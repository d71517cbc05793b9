"""claim_cancel: freeing a seat, handing it to the next one in line, and who may cancel."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from backend.accounts.models import User
from backend.core.errors import NotFound, PermissionDenied, ShiftStarted
from backend.organisations.models import Organisation, VolunteerQualification
from backend.organisations.services import qualification_grant, qualification_revoke
from backend.shifts.models import Claim, ClaimStatus, Shift
from backend.shifts.selectors import waitlist_position
from backend.shifts.services import claim_cancel, claim_create
from tests.backend.conftest import MakeShift, MakeVolunteer
from tests.factories import QualificationFactory

pytestmark = pytest.mark.django_db


def counts(shift: Shift) -> tuple[int, int]:
    shift.refresh_from_db()
    return shift.confirmed_count, shift.waitlist_count


def fresh(claim: Claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


def claim(volunteer: User, shift: Shift) -> Claim:
    return claim_create(volunteer=volunteer, shift_id=shift.pk).claim


def test_cancelling_a_confirmed_claim_gives_the_seat_to_the_first_in_line(
    make_volunteer: MakeVolunteer, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation, capacity=1)
    seated, first, second = (make_volunteer() for _ in range(3))
    seat = claim(seated, shift)
    first_in_line = claim(first, shift)
    second_in_line = claim(second, shift)

    cancelled = claim_cancel(actor=seated, claim_id=seat.pk)

    assert cancelled.status == ClaimStatus.CANCELLED
    assert cancelled.cancelled_at is not None
    promoted = fresh(first_in_line)
    assert promoted.status == ClaimStatus.CONFIRMED
    assert promoted.promoted_at is not None
    assert waitlist_position(claim=fresh(second_in_line)) == 1
    assert counts(shift) == (1, 1)


def test_cancelling_a_confirmed_claim_with_nobody_waiting_frees_the_seat(
    volunteer: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation, capacity=1)
    seat = claim(volunteer, shift)

    claim_cancel(actor=volunteer, claim_id=seat.pk)

    assert counts(shift) == (0, 0)


def test_cancelling_a_waitlisted_claim_shortens_the_line_and_promotes_nobody(
    make_volunteer: MakeVolunteer, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation, capacity=1)
    seated, first, second = (make_volunteer() for _ in range(3))
    claim(seated, shift)
    first_in_line = claim(first, shift)
    second_in_line = claim(second, shift)

    claim_cancel(actor=first, claim_id=first_in_line.pk)

    assert fresh(first_in_line).waitlist_ticket is None
    assert waitlist_position(claim=fresh(second_in_line)) == 1
    assert counts(shift) == (1, 1)


def test_promotion_skips_a_waitlisted_volunteer_who_now_overlaps_another_confirmed_shift(
    make_volunteer: MakeVolunteer, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation, capacity=1)
    seated, busy, free = (make_volunteer() for _ in range(3))
    seat = claim(seated, shift)
    busy_claim = claim(busy, shift)
    free_claim = claim(free, shift)
    # Being waitlisted does not block other shifts, so ``busy`` takes one at the same time.
    same_time = make_shift(organisation, starts_in=dt.timedelta(days=2, hours=1))
    assert claim(busy, same_time).status == ClaimStatus.CONFIRMED

    claim_cancel(actor=seated, claim_id=seat.pk)

    assert fresh(free_claim).status == ClaimStatus.CONFIRMED
    assert fresh(busy_claim).status == ClaimStatus.WAITLISTED
    assert waitlist_position(claim=fresh(busy_claim)) == 1
    assert counts(shift) == (1, 1)


def test_promotion_skips_a_waitlisted_volunteer_whose_qualification_was_revoked(
    coordinator: User,
    make_volunteer: MakeVolunteer,
    organisation: Organisation,
    make_shift: MakeShift,
) -> None:
    first_aid = QualificationFactory(organisation=organisation)
    shift = make_shift(organisation, capacity=1)
    shift.required_qualifications.set([first_aid])
    seated, lapsed, qualified = (make_volunteer() for _ in range(3))
    for person in (seated, lapsed, qualified):
        qualification_grant(actor=coordinator, qualification=first_aid, user=person)
    seat = claim(seated, shift)
    lapsed_claim = claim(lapsed, shift)
    qualified_claim = claim(qualified, shift)
    qualification_revoke(actor=coordinator, held=VolunteerQualification.objects.get(user=lapsed))

    claim_cancel(actor=seated, claim_id=seat.pk)

    assert fresh(qualified_claim).status == ClaimStatus.CONFIRMED
    assert fresh(lapsed_claim).status == ClaimStatus.WAITLISTED


def test_a_cancellation_after_the_deadline_still_cancels_but_is_flagged_late(
    volunteer: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(
        organisation, starts_in=dt.timedelta(hours=30), cancellation_deadline_hours=24
    )
    seat = claim(volunteer, shift)

    with time_machine.travel(shift.starts_at - dt.timedelta(hours=23), tick=False):
        cancelled = claim_cancel(actor=volunteer, claim_id=seat.pk)

    assert cancelled.status == ClaimStatus.CANCELLED
    assert fresh(seat).late_cancellation
    assert counts(shift) == (0, 0)


def test_a_cancellation_before_the_deadline_is_not_late(
    volunteer: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(
        organisation, starts_in=dt.timedelta(hours=30), cancellation_deadline_hours=24
    )
    seat = claim(volunteer, shift)

    with time_machine.travel(shift.starts_at - dt.timedelta(hours=25), tick=False):
        claim_cancel(actor=volunteer, claim_id=seat.pk)

    assert fresh(seat).status == ClaimStatus.CANCELLED
    assert not fresh(seat).late_cancellation


def test_leaving_the_waitlist_after_the_deadline_is_not_a_late_cancellation(
    volunteer: User,
    make_volunteer: MakeVolunteer,
    organisation: Organisation,
    make_shift: MakeShift,
) -> None:
    shift = make_shift(organisation, capacity=1, starts_in=dt.timedelta(hours=2))
    claim(make_volunteer(), shift)
    waiting = claim(volunteer, shift)

    claim_cancel(actor=volunteer, claim_id=waiting.pk)

    assert fresh(waiting).status == ClaimStatus.CANCELLED
    assert not fresh(waiting).late_cancellation


def test_a_coordinator_may_cancel_a_volunteers_claim(
    volunteer: User,
    coordinator: User,
    make_volunteer: MakeVolunteer,
    organisation: Organisation,
    make_shift: MakeShift,
) -> None:
    shift = make_shift(organisation, capacity=1)
    seat = claim(volunteer, shift)
    waiting = claim(make_volunteer(), shift)

    claim_cancel(actor=coordinator, claim_id=seat.pk)

    assert fresh(seat).status == ClaimStatus.CANCELLED
    assert fresh(waiting).status == ClaimStatus.CONFIRMED


@pytest.mark.parametrize("who", ["outsider", "other_volunteer"])
def test_nobody_else_may_cancel_a_volunteers_claim(
    who: str,
    volunteer: User,
    outsider: User,
    make_volunteer: MakeVolunteer,
    organisation: Organisation,
    make_shift: MakeShift,
) -> None:
    actor = outsider if who == "outsider" else make_volunteer()
    shift = make_shift(organisation)
    seat = claim(volunteer, shift)

    with pytest.raises(PermissionDenied):
        claim_cancel(actor=actor, claim_id=seat.pk)

    assert fresh(seat).status == ClaimStatus.CONFIRMED
    assert counts(shift) == (1, 0)


def test_a_claim_cannot_be_cancelled_once_the_shift_has_started(
    volunteer: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation, starts_in=dt.timedelta(hours=1))
    seat = claim(volunteer, shift)

    with (
        time_machine.travel(shift.starts_at + dt.timedelta(minutes=5), tick=False),
        pytest.raises(ShiftStarted),
    ):
        claim_cancel(actor=volunteer, claim_id=seat.pk)

    assert fresh(seat).status == ClaimStatus.CONFIRMED
    assert counts(shift) == (1, 0)


def test_cancelling_twice_changes_nothing_the_second_time(
    make_volunteer: MakeVolunteer, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation, capacity=1)
    seated, first, second = (make_volunteer() for _ in range(3))
    seat = claim(seated, shift)
    claim(first, shift)
    second_in_line = claim(second, shift)
    claim_cancel(actor=seated, claim_id=seat.pk)

    again = claim_cancel(actor=seated, claim_id=seat.pk)

    assert again.status == ClaimStatus.CANCELLED
    assert fresh(second_in_line).status == ClaimStatus.WAITLISTED
    assert counts(shift) == (1, 1)


def test_cancelling_an_unknown_claim_is_not_found(volunteer: User) -> None:
    with pytest.raises(NotFound):
        claim_cancel(actor=volunteer, claim_id=987654321)

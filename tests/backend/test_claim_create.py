"""claim_create: who may claim which shift, and what they get (a seat, a place in line, or no)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from pytest_django import Settings

from backend.accounts.models import User, VolunteerProfile
from backend.core.errors import (
    NotFound,
    NotMember,
    NotQualified,
    Overlap,
    ShiftFull,
    ShiftNotOpen,
    ShiftStarted,
    TooManyClaims,
)
from backend.organisations.models import Membership, Organisation, Role
from backend.organisations.services import qualification_grant
from backend.shifts.models import Claim, ClaimStatus, Shift, ShiftStatus, ShiftVisibility
from backend.shifts.selectors import shifts_visible_to, waitlist_position
from backend.shifts.services import claim_cancel, claim_create
from tests.backend.conftest import MakeShift, MakeVolunteer
from tests.factories import (
    OrganisationFactory,
    QualificationFactory,
    ShiftFactory,
    UserFactory,
    shift_at,
)

pytestmark = pytest.mark.django_db


def counts(shift: Shift) -> tuple[int, int]:
    shift.refresh_from_db()
    return shift.confirmed_count, shift.waitlist_count


def test_claiming_a_free_seat_confirms_the_claim_and_takes_the_seat(
    volunteer: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation, capacity=2)

    result = claim_create(volunteer=volunteer, shift_id=shift.pk)

    assert result.created
    assert result.claim.status == ClaimStatus.CONFIRMED
    assert result.claim.confirmed_at is not None
    assert waitlist_position(claim=result.claim) is None
    assert counts(shift) == (1, 0)


def test_a_cancelled_shift_cannot_be_claimed(
    volunteer: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation, status=ShiftStatus.CANCELLED)

    with pytest.raises(ShiftNotOpen):
        claim_create(volunteer=volunteer, shift_id=shift.pk)

    assert not Claim.objects.exists()
    assert counts(shift) == (0, 0)


def test_a_shift_that_has_started_cannot_be_claimed(
    volunteer: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation, starts_in=dt.timedelta(hours=1))

    with (
        time_machine.travel(shift.starts_at + dt.timedelta(minutes=1), tick=False),
        pytest.raises(ShiftStarted),
    ):
        claim_create(volunteer=volunteer, shift_id=shift.pk)

    assert not Claim.objects.exists()


def test_an_unknown_shift_is_not_found(volunteer: User) -> None:
    with pytest.raises(NotFound):
        claim_create(volunteer=volunteer, shift_id=987654321)


def test_a_member_of_another_organisation_cannot_claim_a_members_only_shift(
    outsider: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation)

    with pytest.raises(NotMember):
        claim_create(volunteer=outsider, shift_id=shift.pk)

    assert not Claim.objects.exists()
    assert not Membership.objects.filter(user=outsider, organisation=organisation).exists()


def test_any_registered_volunteer_may_claim_a_public_shift_without_becoming_a_member(
    organisation: Organisation, make_shift: MakeShift
) -> None:
    newcomer = UserFactory()
    shift = make_shift(organisation, visibility=ShiftVisibility.PUBLIC)
    members_only = make_shift(organisation)

    result = claim_create(volunteer=newcomer, shift_id=shift.pk)

    assert result.claim.status == ClaimStatus.CONFIRMED
    assert not Membership.objects.filter(user=newcomer, organisation=organisation).exists()
    # They see the public shift, and nothing else of the organisation.
    visible = set(shifts_visible_to(user=newcomer).values_list("pk", flat=True))
    assert shift.pk in visible and members_only.pk not in visible
    with pytest.raises(NotMember):
        claim_create(volunteer=newcomer, shift_id=members_only.pk)


def test_a_coordinator_claiming_a_public_shift_of_their_organisation_stays_coordinator(
    coordinator: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation, visibility=ShiftVisibility.PUBLIC)

    claim_create(volunteer=coordinator, shift_id=shift.pk)

    assert Membership.objects.get(user=coordinator, organisation=organisation).role == (
        Role.COORDINATOR
    )


def test_a_user_without_a_volunteer_profile_can_claim_and_gets_one(
    organisation: Organisation, make_shift: MakeShift
) -> None:
    user = User.objects.create_user(email="made.by.admin@example.org", password=None)
    Membership.objects.create(user=user, organisation=organisation, role=Role.VOLUNTEER)
    shift = make_shift(organisation)

    result = claim_create(volunteer=user, shift_id=shift.pk)

    assert result.claim.status == ClaimStatus.CONFIRMED
    assert VolunteerProfile.objects.filter(user=user).exists()


# --- qualifications ------------------------------------------------------------------------


def test_a_shift_needing_qualifications_refuses_a_volunteer_who_lacks_one_of_them(
    volunteer: User, coordinator: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    first_aid = QualificationFactory(organisation=organisation, name="EHBO")
    dementia = QualificationFactory(organisation=organisation, name="Dementie")
    shift = make_shift(organisation)
    shift.required_qualifications.set([first_aid, dementia])
    qualification_grant(actor=coordinator, qualification=first_aid, user=volunteer)

    with pytest.raises(NotQualified):
        claim_create(volunteer=volunteer, shift_id=shift.pk)
    assert counts(shift) == (0, 0)

    qualification_grant(actor=coordinator, qualification=dementia, user=volunteer)
    assert claim_create(volunteer=volunteer, shift_id=shift.pk).claim.status == "confirmed"


def _shift_at_local(organisation: Organisation, day: dt.date, hour: int, minute: int) -> Shift:
    starts_at = dt.datetime.combine(
        day, dt.time(hour, minute), tzinfo=ZoneInfo(organisation.time_zone)
    )
    return ShiftFactory(
        organisation=organisation, starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=1)
    )


@pytest.mark.parametrize(
    ("time_zone", "hour", "minute"),
    [
        # Local date is one day later than the UTC date.
        ("Europe/Brussels", 0, 30),
        # Local date is one day earlier than the UTC date.
        ("America/New_York", 22, 0),
    ],
)
def test_a_qualification_counts_until_its_expiry_on_the_shifts_local_date(
    time_zone: str, hour: int, minute: int, coordinator: User, make_volunteer: MakeVolunteer
) -> None:
    organisation = OrganisationFactory(time_zone=time_zone)
    Membership.objects.create(user=coordinator, organisation=organisation, role=Role.COORDINATOR)
    first_aid = QualificationFactory(organisation=organisation)
    day = timezone.localdate() + dt.timedelta(days=5)
    shift = _shift_at_local(organisation, day, hour, minute)
    shift.required_qualifications.set([first_aid])
    assert shift.starts_at.astimezone(dt.UTC).date() != day
    expired_the_day_before = make_volunteer(organisation)
    expires_that_day = make_volunteer(organisation)
    qualification_grant(
        actor=coordinator,
        qualification=first_aid,
        user=expired_the_day_before,
        expires_on=day - dt.timedelta(days=1),
    )
    qualification_grant(
        actor=coordinator, qualification=first_aid, user=expires_that_day, expires_on=day
    )

    with pytest.raises(NotQualified):
        claim_create(volunteer=expired_the_day_before, shift_id=shift.pk)
    assert claim_create(volunteer=expires_that_day, shift_id=shift.pk).claim.status == "confirmed"


# --- overlap -------------------------------------------------------------------------------


def test_a_volunteer_cannot_confirm_two_overlapping_shifts(
    volunteer: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    morning = make_shift(organisation, starts_in=dt.timedelta(days=2), hours=3)
    overlapping = make_shift(organisation, starts_in=dt.timedelta(days=2, hours=2), hours=3)
    claim_create(volunteer=volunteer, shift_id=morning.pk)

    with pytest.raises(Overlap):
        claim_create(volunteer=volunteer, shift_id=overlapping.pk)

    assert counts(overlapping) == (0, 0)


def test_back_to_back_shifts_do_not_overlap(
    volunteer: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    first = make_shift(organisation, starts_in=dt.timedelta(days=2), hours=2)
    second = make_shift(organisation, starts_in=dt.timedelta(days=2, hours=2), hours=2)
    claim_create(volunteer=volunteer, shift_id=first.pk)

    assert claim_create(volunteer=volunteer, shift_id=second.pk).claim.status == "confirmed"


def test_waitlisted_and_cancelled_claims_do_not_block_an_overlapping_shift(
    volunteer: User,
    make_volunteer: MakeVolunteer,
    organisation: Organisation,
    make_shift: MakeShift,
) -> None:
    full = make_shift(organisation, capacity=1)
    claim_create(volunteer=make_volunteer(), shift_id=full.pk)
    cancelled = make_shift(organisation, starts_in=dt.timedelta(days=2, hours=1))
    claim = claim_create(volunteer=volunteer, shift_id=cancelled.pk).claim
    claim_cancel(actor=volunteer, claim_id=claim.pk)
    assert claim_create(volunteer=volunteer, shift_id=full.pk).claim.status == "waitlisted"
    same_time = make_shift(organisation, starts_in=dt.timedelta(days=2, minutes=30))

    assert claim_create(volunteer=volunteer, shift_id=same_time.pk).claim.status == "confirmed"


# --- idempotency, seats and the waitlist ----------------------------------------------------


def test_claiming_a_shift_twice_returns_the_same_claim_without_taking_a_second_seat(
    volunteer: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation, capacity=3)
    first = claim_create(volunteer=volunteer, shift_id=shift.pk)

    again = claim_create(volunteer=volunteer, shift_id=shift.pk)

    assert again.claim.pk == first.claim.pk
    assert not again.created
    assert again.claim.status == ClaimStatus.CONFIRMED
    assert Claim.objects.count() == 1
    assert counts(shift) == (1, 0)


def test_claiming_twice_while_waitlisted_keeps_the_place_in_line(
    volunteer: User,
    make_volunteer: MakeVolunteer,
    organisation: Organisation,
    make_shift: MakeShift,
) -> None:
    shift = make_shift(organisation, capacity=1)
    claim_create(volunteer=make_volunteer(), shift_id=shift.pk)
    first = claim_create(volunteer=volunteer, shift_id=shift.pk)
    claim_create(volunteer=make_volunteer(), shift_id=shift.pk)

    again = claim_create(volunteer=volunteer, shift_id=shift.pk)

    assert not again.created
    assert again.claim.pk == first.claim.pk
    assert waitlist_position(claim=again.claim) == 1
    assert counts(shift) == (1, 2)


def test_a_full_shift_waitlists_the_next_volunteers_in_arrival_order(
    make_volunteer: MakeVolunteer, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation, capacity=2)
    claims = [claim_create(volunteer=make_volunteer(), shift_id=shift.pk).claim for _ in range(5)]

    assert [c.status for c in claims] == ["confirmed"] * 2 + ["waitlisted"] * 3
    assert [waitlist_position(claim=c) for c in claims] == [None, None, 1, 2, 3]
    tickets = [c.waitlist_ticket for c in claims[2:]]
    assert tickets == sorted(tickets) and len(set(tickets)) == 3
    assert counts(shift) == (2, 3)


def test_a_full_shift_without_a_waitlist_refuses_with_shift_full(
    volunteer: User,
    make_volunteer: MakeVolunteer,
    organisation: Organisation,
    make_shift: MakeShift,
) -> None:
    shift = make_shift(organisation, capacity=1, waitlist_enabled=False)
    claim_create(volunteer=make_volunteer(), shift_id=shift.pk)

    with pytest.raises(ShiftFull):
        claim_create(volunteer=volunteer, shift_id=shift.pk)

    assert not Claim.objects.filter(volunteer=volunteer).exists()
    assert counts(shift) == (1, 0)


def test_reclaiming_after_cancelling_reuses_the_claim_row(
    volunteer: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation, starts_in=dt.timedelta(hours=3))
    first = claim_create(volunteer=volunteer, shift_id=shift.pk).claim
    cancelled = claim_cancel(actor=volunteer, claim_id=first.pk)
    assert cancelled.late_cancellation

    again = claim_create(volunteer=volunteer, shift_id=shift.pk)

    assert again.created
    assert again.claim.pk == first.pk
    assert again.claim.status == ClaimStatus.CONFIRMED
    assert not again.claim.late_cancellation
    assert again.claim.cancelled_at is None
    assert Claim.objects.count() == 1
    assert counts(shift) == (1, 0)


# --- the upcoming-claims limit --------------------------------------------------------------


def _separate_shifts(organisation: Organisation, n: int, **fields: object) -> list[Shift]:
    return [
        shift_at(organisation, starts_in=dt.timedelta(days=2, hours=3 * i), **fields)
        for i in range(n)
    ]


def test_a_volunteer_holds_at_most_ten_upcoming_claims_by_default(
    volunteer: User, organisation: Organisation
) -> None:
    shifts = _separate_shifts(organisation, 11)
    for shift in shifts[:10]:
        claim_create(volunteer=volunteer, shift_id=shift.pk)

    with pytest.raises(TooManyClaims):
        claim_create(volunteer=volunteer, shift_id=shifts[10].pk)

    assert counts(shifts[10]) == (0, 0)


def test_waitlisted_claims_count_toward_the_limit_but_cancelled_and_past_ones_do_not(
    settings: Settings,
    volunteer: User,
    make_volunteer: MakeVolunteer,
    organisation: Organisation,
) -> None:
    settings.INZET_MAX_UPCOMING_CLAIMS = 2
    past = ShiftFactory(
        organisation=organisation,
        starts_at=timezone.now() - dt.timedelta(days=1, hours=2),
        ends_at=timezone.now() - dt.timedelta(days=1),
    )
    Claim.objects.create(shift=past, volunteer=volunteer, status=ClaimStatus.COMPLETED)
    full, cancelled, confirmed, refused = _separate_shifts(organisation, 4, capacity=1)
    claim_create(volunteer=make_volunteer(), shift_id=full.pk)
    assert claim_create(volunteer=volunteer, shift_id=full.pk).claim.status == "waitlisted"
    gone = claim_create(volunteer=volunteer, shift_id=cancelled.pk).claim
    claim_cancel(actor=volunteer, claim_id=gone.pk)
    claim_create(volunteer=volunteer, shift_id=confirmed.pk)

    with pytest.raises(TooManyClaims):
        claim_create(volunteer=volunteer, shift_id=refused.pk)

    active = Claim.objects.filter(volunteer=volunteer, status__in=["confirmed", "waitlisted"])
    assert active.count() == 2


def test_a_volunteer_claiming_a_draft_learns_nothing_of_it(
    organisation: Organisation, volunteer: User, coordinator: User, make_shift: MakeShift
) -> None:
    draft = make_shift(organisation, status=ShiftStatus.DRAFT)
    with pytest.raises(NotFound):
        claim_create(volunteer=volunteer, shift_id=draft.pk)
    # Its coordinator knows it exists: they hear it is not open yet.
    with pytest.raises(ShiftNotOpen):
        claim_create(volunteer=coordinator, shift_id=draft.pk)
    assert not Claim.objects.filter(shift=draft).exists()

"""Direct swaps: who is offered one, the exchange in one step, and what closes an offer."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.accounts.models import User
from backend.core.errors import NotFound, NotQualified, SwapClosed, SwapNotPossible
from backend.notifications.models import Kind, Notification
from backend.organisations.models import Organisation, VolunteerQualification
from backend.shifts.models import Claim, ClaimStatus, Shift, SwapStatus
from backend.shifts.services import (
    claim_cancel,
    claim_create,
    swap_accept,
    swap_decline,
    swap_propose,
    swap_withdraw,
    swaps_offered_to,
)
from tests.backend.conftest import MakeVolunteer
from tests.factories import QualificationFactory, shift_at


@pytest.fixture
def mine(organisation: Organisation) -> Shift:
    return shift_at(organisation, starts_in=dt.timedelta(days=3))


@pytest.fixture
def theirs(organisation: Organisation) -> Shift:
    return shift_at(organisation, starts_in=dt.timedelta(days=5))


def claim(user: User, shift: Shift) -> Claim:
    return claim_create(volunteer=user, shift_id=shift.pk).claim


def status(user: User, shift: Shift) -> str | None:
    found = Claim.objects.filter(volunteer=user, shift=shift).first()
    return found.status if found else None


def test_a_swap_exchanges_the_two_claims_when_the_partner_confirms(
    mine: Shift, theirs: Shift, make_volunteer: MakeVolunteer
) -> None:
    proposer, partner = make_volunteer(), make_volunteer()
    own = claim(proposer, mine)
    claim(partner, theirs)

    [offer] = swap_propose(actor=proposer, claim_id=own.pk, shift_id=theirs.pk)
    assert offer.partner == partner
    assert Notification.objects.filter(kind=Kind.SWAP_ASK, user=partner).exists()
    assert [o.pk for o in swaps_offered_to(user=partner)] == [offer.pk]
    # Nothing changes until the partner confirms.
    assert status(proposer, mine) == ClaimStatus.CONFIRMED

    new = swap_accept(actor=partner, swap_id=offer.pk)

    assert new.shift_id == mine.pk and new.status == ClaimStatus.CONFIRMED
    assert status(proposer, theirs) == ClaimStatus.CONFIRMED
    assert status(proposer, mine) == ClaimStatus.CANCELLED
    assert status(partner, theirs) == ClaimStatus.CANCELLED
    assert not Claim.objects.filter(late_cancellation=True).exists()
    for shift in (mine, theirs):
        shift.refresh_from_db()
        assert shift.confirmed_count == 1
    assert Notification.objects.filter(kind=Kind.SWAP_DONE, user=proposer).exists()
    # Both get reminders for their new shift.
    assert Notification.objects.filter(kind=Kind.PLAN, claim=new).exists()
    offer.refresh_from_db()
    assert offer.status == SwapStatus.DONE
    with pytest.raises(SwapClosed):
        swap_accept(actor=partner, swap_id=offer.pk)


def test_two_shifts_at_overlapping_times_can_still_be_swapped(
    organisation: Organisation, make_volunteer: MakeVolunteer
) -> None:
    morning = shift_at(organisation, starts_in=dt.timedelta(days=3), hours=3)
    later = shift_at(organisation, starts_in=dt.timedelta(days=3, hours=1), hours=3)
    proposer, partner = make_volunteer(), make_volunteer()
    own = claim(proposer, morning)
    claim(partner, later)

    [offer] = swap_propose(actor=proposer, claim_id=own.pk, shift_id=later.pk)
    swap_accept(actor=partner, swap_id=offer.pk)

    assert status(proposer, later) == status(partner, morning) == ClaimStatus.CONFIRMED


def test_only_partners_who_could_take_the_proposers_shift_are_offered(
    organisation: Organisation, mine: Shift, theirs: Shift, make_volunteer: MakeVolunteer
) -> None:
    course = QualificationFactory(organisation=organisation)
    mine.required_qualifications.add(course)
    proposer, trained, untrained = make_volunteer(), make_volunteer(), make_volunteer()
    for user in (proposer, trained):
        VolunteerQualification.objects.create(user=user, qualification=course)
    own = claim(proposer, mine)
    claim(trained, theirs)
    claim(untrained, theirs)

    offers = swap_propose(actor=proposer, claim_id=own.pk, shift_id=theirs.pk)

    assert [o.partner for o in offers] == [trained]


def test_the_proposer_must_be_able_to_take_the_other_shift(
    organisation: Organisation, mine: Shift, theirs: Shift, make_volunteer: MakeVolunteer
) -> None:
    theirs.required_qualifications.add(QualificationFactory(organisation=organisation))
    proposer, partner = make_volunteer(), make_volunteer()
    own = claim(proposer, mine)
    Claim.objects.create(shift=theirs, volunteer=partner, status=ClaimStatus.CONFIRMED)

    with pytest.raises(NotQualified):
        swap_propose(actor=proposer, claim_id=own.pk, shift_id=theirs.pk)


def test_nobody_to_swap_with_and_other_organisations_are_refused(
    other_organisation: Organisation, mine: Shift, theirs: Shift, make_volunteer: MakeVolunteer
) -> None:
    proposer = make_volunteer()
    own = claim(proposer, mine)
    with pytest.raises(SwapNotPossible):
        swap_propose(actor=proposer, claim_id=own.pk, shift_id=theirs.pk)
    elsewhere = shift_at(other_organisation, starts_in=dt.timedelta(days=5))
    with pytest.raises(SwapNotPossible):
        swap_propose(actor=proposer, claim_id=own.pk, shift_id=elsewhere.pk)
    with pytest.raises(NotFound):
        swap_propose(actor=make_volunteer(), claim_id=own.pk, shift_id=theirs.pk)


def test_declining_withdrawing_and_cancelling_close_the_offer(
    mine: Shift, theirs: Shift, make_volunteer: MakeVolunteer
) -> None:
    proposer, anna, bram = make_volunteer(), make_volunteer(), make_volunteer()
    own = claim(proposer, mine)
    claim(anna, theirs)
    bram_claim = claim(bram, theirs)
    offers = {
        o.partner_id: o for o in swap_propose(actor=proposer, claim_id=own.pk, shift_id=theirs.pk)
    }

    assert swap_decline(actor=anna, swap_id=offers[anna.pk].pk).status == SwapStatus.DECLINED
    with pytest.raises(SwapClosed):
        swap_accept(actor=anna, swap_id=offers[anna.pk].pk)

    # Bram cancels his claim: the offer about it closes.
    claim_cancel(actor=bram, claim_id=bram_claim.pk)
    with pytest.raises(SwapClosed):
        swap_accept(actor=bram, swap_id=offers[bram.pk].pk)

    # Withdrawn by the proposer.
    claim(bram, theirs)
    [again] = swap_propose(actor=proposer, claim_id=own.pk, shift_id=theirs.pk)
    assert swap_withdraw(actor=proposer, claim_id=own.pk) == 1
    with pytest.raises(SwapClosed):
        swap_accept(actor=bram, swap_id=again.pk)
    # Only the partner may answer.
    with pytest.raises(NotFound):
        swap_accept(actor=proposer, swap_id=again.pk)

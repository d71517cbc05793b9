"""Stand-ins and swaps racing each other on the real database: one outcome, never two seats
or none."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from pytest_django import Settings

from backend.core.errors import StandInClosed, StandInTaken, SwapClosed
from backend.organisations.models import Organisation
from backend.shifts.models import Claim, ClaimStatus, StandInRequest, StandInStatus
from backend.shifts.services import (
    claim_cancel,
    claim_create,
    stand_in_accept,
    stand_in_ask,
    swap_accept,
    swap_propose,
)
from tests.backend.conftest import MakeVolunteer
from tests.backend.test_claim_concurrency import at_once
from tests.factories import shift_at

pytestmark = pytest.mark.usefixtures("shared_database")

ACCEPTORS = 20


def test_twenty_volunteers_accepting_the_same_request_at_once_one_wins(
    organisation: Organisation, make_volunteer: MakeVolunteer, settings: Settings
) -> None:
    settings.INZET_STAND_IN_WAVE_SIZE = ACCEPTORS
    shift = shift_at(organisation, starts_in=dt.timedelta(days=4), capacity=3)
    requester = make_volunteer()
    claim = claim_create(volunteer=requester, shift_id=shift.pk).claim
    others = [make_volunteer() for _ in range(ACCEPTORS)]
    request = stand_in_ask(actor=requester, claim_id=claim.pk)
    assert request.asks.count() == ACCEPTORS

    outcomes = at_once([partial(stand_in_accept, actor=u, request_id=request.pk) for u in others])

    won = [o for o in outcomes if isinstance(o, Claim)]
    assert len(won) == 1
    assert all(isinstance(o, StandInTaken) for o in outcomes if not isinstance(o, Claim))
    confirmed = Claim.objects.filter(shift=shift, status=ClaimStatus.CONFIRMED)
    assert list(confirmed.values_list("volunteer_id", flat=True)) == [won[0].volunteer_id]
    shift.refresh_from_db()
    assert shift.confirmed_count == 1
    request.refresh_from_db()
    assert request.status == StandInStatus.TAKEN and request.taken_by_id == won[0].volunteer_id


@pytest.mark.parametrize("round_", range(5))
def test_an_acceptance_racing_the_requesters_cancellation_has_one_outcome(
    organisation: Organisation, make_volunteer: MakeVolunteer, round_: int
) -> None:
    shift = shift_at(organisation, starts_in=dt.timedelta(days=4), capacity=1)
    requester, anna = make_volunteer(), make_volunteer()
    claim = claim_create(volunteer=requester, shift_id=shift.pk).claim
    request = stand_in_ask(actor=requester, claim_id=claim.pk)

    accepted, cancelled = at_once(
        [
            partial(stand_in_accept, actor=anna, request_id=request.pk),
            partial(claim_cancel, actor=requester, claim_id=claim.pk),
        ]
    )

    shift.refresh_from_db()
    holders = list(
        Claim.objects.filter(shift=shift, status=ClaimStatus.CONFIRMED).values_list(
            "volunteer_id", flat=True
        )
    )
    assert shift.confirmed_count == len(holders)
    assert isinstance(cancelled, Claim) and cancelled.status == ClaimStatus.CANCELLED
    if isinstance(accepted, Claim):
        # Anna took over first; the cancellation then found the claim already handed over.
        assert holders == [anna.pk]
        assert StandInRequest.objects.get(pk=request.pk).status == StandInStatus.TAKEN
    else:
        # The cancellation came first: the request closed, the seat is free, Anna has none.
        assert isinstance(accepted, StandInClosed)
        assert holders == []
        assert StandInRequest.objects.get(pk=request.pk).status == StandInStatus.CLOSED


def test_two_swaps_of_the_same_claim_at_once_only_one_goes_through(
    organisation: Organisation, make_volunteer: MakeVolunteer
) -> None:
    mine = shift_at(organisation, starts_in=dt.timedelta(days=4), capacity=1)
    theirs = shift_at(organisation, starts_in=dt.timedelta(days=6), capacity=2)
    proposer, anna, bram = make_volunteer(), make_volunteer(), make_volunteer()
    claim = claim_create(volunteer=proposer, shift_id=mine.pk).claim
    for user in (anna, bram):
        claim_create(volunteer=user, shift_id=theirs.pk)
    offers = swap_propose(actor=proposer, claim_id=claim.pk, shift_id=theirs.pk)
    by_partner: dict[int, int] = {o.partner_id: o.pk for o in offers}

    outcomes = at_once(
        [partial(swap_accept, actor=u, swap_id=by_partner[u.pk]) for u in (anna, bram)]
    )

    done = [o for o in outcomes if isinstance(o, Claim)]
    assert len(done) == 1
    assert any(isinstance(o, SwapClosed) for o in outcomes)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.confirmed_count, theirs.confirmed_count) == (1, 2)
    on_mine = Claim.objects.filter(shift=mine, status=ClaimStatus.CONFIRMED)
    assert list(on_mine.values_list("volunteer_id", flat=True)) == [done[0].volunteer_id]
    on_theirs = set(
        Claim.objects.filter(shift=theirs, status=ClaimStatus.CONFIRMED).values_list(
            "volunteer_id", flat=True
        )
    )
    assert proposer.pk in on_theirs and len(on_theirs) == 2

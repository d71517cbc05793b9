"""The stand-in and swap endpoints: ask, list what I am asked, accept or decline, withdraw;
propose a swap, see the offers, confirm."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.accounts.models import User
from backend.organisations.models import Organisation
from backend.shifts.models import Claim, ClaimStatus, Shift
from backend.shifts.services import claim_create
from tests.conftest import client_for
from tests.factories import shift_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def shift(organisation: Organisation) -> Shift:
    return shift_at(organisation, starts_in=dt.timedelta(days=4), capacity=2)


def claim(user: User, shift: Shift) -> Claim:
    return claim_create(volunteer=user, shift_id=shift.pk).claim


def test_a_volunteer_asks_for_a_stand_in_and_someone_takes_over(
    shift: Shift, volunteer: User, make_volunteer
) -> None:
    own = claim(volunteer, shift)
    anna = make_volunteer()

    asked = client_for(volunteer).post(f"/api/v1/claims/{own.pk}/stand-in/")
    again = client_for(volunteer).post(f"/api/v1/claims/{own.pk}/stand-in/")

    assert asked.status_code == 201
    assert again.status_code == 200 and again.json()["id"] == asked.json()["id"]
    assert asked.json()["status"] == "open" and asked.json()["waves"] == 1
    [listed] = client_for(anna).get("/api/v1/me/stand-in-requests/").json()
    assert listed["id"] == asked.json()["id"]
    assert listed["shift"]["id"] == shift.pk
    # Not confirmed on it yet: no address.
    assert listed["shift"]["address"] is None

    taken = client_for(anna).post(f"/api/v1/stand-in-requests/{listed['id']}/accept/")

    assert taken.status_code == 201
    assert taken.json()["status"] == "confirmed" and taken.json()["shift"] == shift.pk
    assert taken.json()["address"] == shift.address
    assert Claim.objects.get(pk=own.pk).status == ClaimStatus.CANCELLED
    assert client_for(anna).get("/api/v1/me/stand-in-requests/").json() == []


def test_a_second_acceptance_is_told_it_is_taken(
    shift: Shift, volunteer: User, make_volunteer
) -> None:
    own = claim(volunteer, shift)
    anna, bram = make_volunteer(), make_volunteer()
    request_id = client_for(volunteer).post(f"/api/v1/claims/{own.pk}/stand-in/").json()["id"]
    client_for(anna).post(f"/api/v1/stand-in-requests/{request_id}/accept/")

    late = client_for(bram).post(f"/api/v1/stand-in-requests/{request_id}/accept/")

    assert late.status_code == 409
    assert late.json()["code"] == "stand_in_taken"
    assert late.json()["detail"]


def test_too_late_to_ask_and_someone_elses_claim(
    organisation: Organisation, volunteer: User, make_volunteer
) -> None:
    soon = shift_at(organisation, starts_in=dt.timedelta(hours=30))
    own = claim(volunteer, soon)

    late = client_for(volunteer).post(f"/api/v1/claims/{own.pk}/stand-in/")
    theirs = client_for(make_volunteer()).post(f"/api/v1/claims/{own.pk}/stand-in/")

    assert (late.status_code, late.json()["code"]) == (409, "stand_in_too_late")
    assert (theirs.status_code, theirs.json()["code"]) == (404, "not_found")


def test_declining_and_withdrawing(shift: Shift, volunteer: User, make_volunteer) -> None:
    own = claim(volunteer, shift)
    anna = make_volunteer()
    request_id = client_for(volunteer).post(f"/api/v1/claims/{own.pk}/stand-in/").json()["id"]

    declined = client_for(anna).post(f"/api/v1/stand-in-requests/{request_id}/decline/")
    withdrawn = client_for(volunteer).delete(f"/api/v1/claims/{own.pk}/stand-in/")

    assert declined.status_code == 204
    assert client_for(anna).get("/api/v1/me/stand-in-requests/").json() == []
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    # Someone never asked learns nothing of the request.
    stranger = client_for(make_volunteer()).post(f"/api/v1/stand-in-requests/{request_id}/accept/")
    assert stranger.status_code == 404


def test_the_list_of_requests_i_am_asked_takes_the_same_queries_for_one_or_five(
    organisation: Organisation, make_volunteer
) -> None:
    anna = make_volunteer()

    def ask_one() -> None:
        requester = make_volunteer()
        own = claim(requester, shift_at(organisation, starts_in=dt.timedelta(days=5)))
        client_for(requester).post(f"/api/v1/claims/{own.pk}/stand-in/")

    ask_one()
    client = client_for(anna)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get("/api/v1/me/stand-in-requests/").json()) == 1
    for _ in range(4):
        ask_one()
    with CaptureQueriesContext(connection) as five:
        assert len(client.get("/api/v1/me/stand-in-requests/").json()) == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_a_swap_through_the_api(organisation: Organisation, make_volunteer) -> None:
    mine = shift_at(organisation, starts_in=dt.timedelta(days=3))
    theirs = shift_at(organisation, starts_in=dt.timedelta(days=5))
    proposer, partner = make_volunteer(), make_volunteer()
    own = claim(proposer, mine)
    claim(partner, theirs)

    proposed = client_for(proposer).post(
        f"/api/v1/claims/{own.pk}/swap/", {"shift": theirs.pk}, format="json"
    )
    assert proposed.status_code == 201
    [offer] = proposed.json()
    assert offer["shift"] == theirs.pk and offer["status"] == "open"

    [shown] = client_for(partner).get("/api/v1/me/swap-requests/").json()
    assert shown["you_give"]["id"] == theirs.pk and shown["you_take"]["id"] == mine.pk

    done = client_for(partner).post(f"/api/v1/swap-requests/{offer['id']}/accept/")
    assert done.status_code == 201 and done.json()["shift"] == mine.pk
    assert Claim.objects.get(volunteer=proposer, shift=theirs).status == ClaimStatus.CONFIRMED


def test_a_swap_with_a_shift_nobody_can_swap_and_a_bad_body(
    organisation: Organisation, volunteer: User
) -> None:
    own = claim(volunteer, shift_at(organisation, starts_in=dt.timedelta(days=3)))
    empty = shift_at(organisation, starts_in=dt.timedelta(days=5))
    client = client_for(volunteer)

    nobody = client.post(f"/api/v1/claims/{own.pk}/swap/", {"shift": empty.pk}, format="json")
    bad = client.post(f"/api/v1/claims/{own.pk}/swap/", {"shift": "soon"}, format="json")

    assert (nobody.status_code, nobody.json()["code"]) == (409, "swap_not_possible")
    assert bad.status_code == 400 and "shift" in bad.json()["fields"]

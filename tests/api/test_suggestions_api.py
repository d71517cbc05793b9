"""GET /api/v1/me/suggestions/: the volunteer's suggestions in the shift list's shape, with
their reasons, in a constant number of queries."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.organisations.models import Membership, VolunteerQualification
from backend.shifts.models import ShiftStatus
from tests.conftest import client_for
from tests.factories import OrganisationFactory, QualificationFactory, shift_at

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def test_suggestions_are_shifts_as_the_list_shows_them_with_their_reasons(organisation, volunteer):
    soon = shift_at(organisation, starts_in=dt.timedelta(hours=20), title="Soon")
    later = shift_at(organisation, starts_in=9 * DAY, title="Later")
    shift_at(organisation, starts_in=3 * DAY, status=ShiftStatus.DRAFT, title="Draft")
    client = client_for(volunteer)

    response = client.get("/api/v1/me/suggestions/")

    assert response.status_code == 200
    body = response.json()
    assert [s["title"] for s in body] == ["Soon", "Later"]
    assert body[0]["reasons"] == ["short", "soon"]
    assert body[1]["reasons"] == ["short"]
    listed = {s["id"]: s for s in client.get("/api/v1/shifts/").json()["results"]}
    for suggestion in body:
        shown = dict(suggestion)
        del shown["reasons"]
        assert shown == listed[suggestion["id"]]
    assert body[0]["address"] is None and body[0]["my_claim"] is None
    assert {soon.pk, later.pk} == {s["id"] for s in body}


def test_a_coordinator_sees_the_address_of_their_own_shift(organisation, coordinator):
    shift_at(organisation, address="Kerkstraat 1, 9000 Gent")
    [suggestion] = client_for(coordinator).get("/api/v1/me/suggestions/").json()
    assert suggestion["address"] == "Kerkstraat 1, 9000 Gent"


def test_nothing_to_suggest_is_an_empty_list(organisation, volunteer):
    assert client_for(volunteer).get("/api/v1/me/suggestions/").json() == []


def test_suggestions_need_a_log_in(api):
    response = api.get("/api/v1/me/suggestions/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert set(response.json()) >= {"code", "detail"}


def test_suggestions_cost_the_same_queries_for_two_or_twenty_candidates(
    organisation, volunteer, django_assert_num_queries
):
    first_aid = QualificationFactory(organisation=organisation)
    VolunteerQualification.objects.create(user=volunteer, qualification=first_aid)
    elsewhere = OrganisationFactory()
    Membership.objects.create(user=volunteer, organisation=elsewhere)
    client = client_for(volunteer)

    def add(n: int, offset: int) -> None:
        for i in range(n):
            shift = shift_at(
                [organisation, elsewhere][i % 2], starts_in=(offset + i) * DAY, title=f"{i}"
            )
            shift.required_qualifications.add(first_aid)

    add(2, 1)
    # The profile, the candidates (with the organisations the viewer manages), their
    # qualifications, Eligibility's six (profiles, memberships, the shifts' qualifications,
    # those held, confirmed claims in the window, upcoming claims) and the history.
    with django_assert_num_queries(10):
        assert len(client.get("/api/v1/me/suggestions/").json()) == 2
    add(18, 4)
    with django_assert_num_queries(10):
        body = client.get("/api/v1/me/suggestions/").json()
    assert len(body) == 5
    assert all(s["required_qualifications"] == [first_aid.pk] for s in body)
    assert all("qualified" in s["reasons"] for s in body)

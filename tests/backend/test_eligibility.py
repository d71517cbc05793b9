"""One set of eligibility rules, one shape of facts, and facts for many in a fixed number of
queries: claiming, promotion, the bot's shift list and broadcasts all judge the same way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.core.errors import ClaimBlocked, NotMember, NotQualified, Overlap, TooManyClaims
from backend.organisations.models import Membership, VolunteerQualification
from backend.shifts.models import ShiftVisibility
from backend.shifts.services import (
    Eligibility,
    claim_create,
    shift_local_date,
)
from backend.shifts.services.eligibility import qualified_for
from tests.factories import QualificationFactory, ShiftFactory, UserFactory, shift_at

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("expiry_offset_days", "eligible"),
    [(None, True), (0, True), (30, True), (-1, False), ("not held", False)],
)
def test_bulk_facts_and_the_claims_one_query_agree_on_qualifications(
    organisation, volunteer, expiry_offset_days, eligible
):
    qualification = QualificationFactory(organisation=organisation)
    shift = ShiftFactory(organisation=organisation)
    shift.required_qualifications.add(qualification)
    day = shift_local_date(shift)
    if expiry_offset_days != "not held":
        expires = None if expiry_offset_days is None else day + dt.timedelta(expiry_offset_days)
        VolunteerQualification.objects.create(
            user=volunteer, qualification=qualification, expires_on=expires
        )
    bulk = Eligibility(volunteer_ids=[volunteer.pk], shifts=[shift]).error(volunteer.pk, shift)
    assert (bulk is None) == eligible
    assert qualified_for(volunteer.pk, shift, required_count=1) == eligible
    if not eligible:
        assert isinstance(bulk, NotQualified)


def test_each_rule_answers_with_its_own_error(organisation, make_volunteer, settings):
    settings.INZET_MAX_UPCOMING_CLAIMS = 1
    outsider = UserFactory()
    blocked, overlapping, busy, fine = (make_volunteer() for _ in range(4))
    Membership.objects.filter(user=blocked).update(claims_blocked_at=timezone.now())
    shift = shift_at(organisation, starts_in=dt.timedelta(days=3))
    same_time = shift_at(organisation, starts_in=dt.timedelta(days=3))
    later = shift_at(organisation, starts_in=dt.timedelta(days=5))
    claim_create(volunteer=overlapping, shift_id=same_time.pk)
    claim_create(volunteer=busy, shift_id=later.pk)

    people = [outsider, blocked, overlapping, busy, fine]
    eligibility = Eligibility(volunteer_ids=[p.pk for p in people], shifts=[shift])
    errors = {p: eligibility.error(p.pk, shift) for p in people}

    assert isinstance(errors[outsider], NotMember)
    assert isinstance(errors[blocked], ClaimBlocked)
    assert isinstance(errors[overlapping], Overlap)
    assert isinstance(errors[busy], TooManyClaims)
    assert errors[fine] is None
    # A waitlisted claim being promoted was counted when it was made: the limit is not asked.
    assert eligibility.error(busy.pk, shift, new_claim=False) is None
    # A public shift is open to an outsider.
    shift.visibility = ShiftVisibility.PUBLIC
    assert (
        Eligibility(volunteer_ids=[outsider.pk], shifts=[shift]).error(outsider.pk, shift) is None
    )


def _queries_for(volunteers: int, shifts: int, organisation, make_volunteer) -> int:  # type: ignore[no-untyped-def]
    qualification = QualificationFactory(organisation=organisation)
    people = [make_volunteer() for _ in range(volunteers)]
    rows = [shift_at(organisation, starts_in=dt.timedelta(days=2 + i)) for i in range(shifts)]
    for row in rows:
        row.required_qualifications.add(qualification)
    for person in people:
        VolunteerQualification.objects.create(user=person, qualification=qualification)
        claim_create(volunteer=person, shift_id=rows[0].pk)
    with CaptureQueriesContext(connection) as queries:
        eligibility = Eligibility(volunteer_ids=[p.pk for p in people], shifts=rows)
        verdicts = [eligibility.error(p.pk, s) for p in people for s in rows]
    assert len(verdicts) == volunteers * shifts
    return len(queries)


def test_facts_for_many_take_as_many_queries_as_for_one(organisation, make_volunteer):
    one = _queries_for(1, 1, organisation, make_volunteer)
    many = _queries_for(30, 10, organisation, make_volunteer)
    assert one == many == 6


def _count_queries(fn) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        fn()
    return len(queries)


def test_broadcast_recipients_cost_the_same_queries_for_three_or_thirty(
    organisation, make_volunteer
):
    from backend.notifications.services import _eligible_volunteers

    shift = shift_at(organisation)
    for _ in range(3):
        make_volunteer()
    few = _count_queries(lambda: _eligible_volunteers(shift, sender_id=0))
    for _ in range(27):
        make_volunteer()
    recipients: list[int] = []
    many = _count_queries(lambda: recipients.extend(_eligible_volunteers(shift, sender_id=0)))
    assert few == many
    assert len(recipients) == 30


def test_the_bots_shift_list_costs_the_same_queries_for_two_or_twenty_shifts(
    organisation, volunteer
):
    from bots.bridge import _matching_shifts

    profile = volunteer.profile
    for i in range(2):
        shift_at(organisation, starts_in=dt.timedelta(days=2 + i))
    few = _count_queries(lambda: _matching_shifts(volunteer, profile, "all"))
    for i in range(18):
        shift_at(organisation, starts_in=dt.timedelta(days=5 + i))
    listed: list[object] = []
    many = _count_queries(lambda: listed.extend(_matching_shifts(volunteer, profile, "all")))
    assert few == many
    assert len(listed) == 20

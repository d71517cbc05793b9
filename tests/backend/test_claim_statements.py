"""The claim path's round trips to the database (issue 10: at most five, BEGIN and COMMIT
included), counted as PostgreSQL's own statement log would show them, on the database in use.

On PostgreSQL a new claim is BEGIN, the volunteer's profile lock, the claim read, one
statement that takes the seat and writes the claim and its notification, and COMMIT. The rows
are the same as on the ORM path, which SQLite (the embedded default) takes.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.notifications.models import Kind, Notification
from backend.shifts.models import Claim, ClaimStatus
from backend.shifts.services import claim_cancel, claim_create
from tests.factories import shift_at

pytestmark = pytest.mark.django_db(transaction=True)


def _statements(queries: CaptureQueriesContext) -> list[str]:
    # Django logs BEGIN only for SQLite (psycopg opens the transaction itself, in its own
    # round trip, before the first statement), and always logs COMMIT as a query only on
    # some backends: count both explicitly.
    sql = [q["sql"] for q in queries.captured_queries]
    body = [s for s in sql if s.upper() not in ("BEGIN", "COMMIT")]
    return ["BEGIN", *body, "COMMIT"]


def test_a_confirmed_claim_takes_five_statements_and_writes_the_claim_and_its_plan(
    organisation, make_volunteer
):
    volunteer = make_volunteer()
    shift = shift_at(organisation, starts_in=dt.timedelta(days=3), capacity=2)
    with CaptureQueriesContext(connection) as queries:
        result = claim_create(volunteer=volunteer, shift_id=shift.pk)
    statements = _statements(queries)
    if connection.vendor == "postgresql":  # SQLite takes the ORM path: same rows, below
        assert len(statements) == 5, statements
    claim = Claim.objects.get(pk=result.claim.pk)
    assert claim.status == ClaimStatus.CONFIRMED and claim.volunteer_id == volunteer.pk
    assert claim.confirmed_at == result.claim.confirmed_at
    assert claim.created_at is not None and claim.waitlist_ticket is None
    plan = Notification.objects.get(claim=claim)
    assert plan.kind == Kind.PLAN and plan.user_id == volunteer.pk
    assert plan.key == f"plan:{claim.pk}:{claim.confirmed_at.timestamp():.6f}"
    shift.refresh_from_db()
    assert shift.confirmed_count == 1


def test_a_waitlisted_claim_gets_its_ticket_in_one_write_and_no_reminders(
    organisation, make_volunteer
):
    shift = shift_at(organisation, starts_in=dt.timedelta(days=3), capacity=1)
    claim_create(volunteer=make_volunteer(), shift_id=shift.pk)
    second, third = make_volunteer(), make_volunteer()
    with CaptureQueriesContext(connection) as queries:
        waiting = claim_create(volunteer=second, shift_id=shift.pk).claim
    if connection.vendor == "postgresql":
        # BEGIN, lock, read, the seat attempt (no seat: nothing written), ticket + claim, COMMIT
        assert len(_statements(queries)) == 6, _statements(queries)
    last = claim_create(volunteer=third, shift_id=shift.pk).claim
    rows = {c.volunteer_id: c for c in Claim.objects.filter(shift=shift)}
    assert rows[second.pk].status == ClaimStatus.WAITLISTED
    assert rows[second.pk].waitlist_ticket == waiting.waitlist_ticket
    assert rows[third.pk].waitlist_ticket == last.waitlist_ticket == waiting.waitlist_ticket + 1
    assert not Notification.objects.filter(claim__in=[waiting.pk, last.pk]).exists()
    shift.refresh_from_db()
    assert (shift.confirmed_count, shift.waitlist_count) == (1, 2)


def test_a_full_shift_without_waitlist_writes_nothing(organisation, make_volunteer):
    shift = shift_at(
        organisation, starts_in=dt.timedelta(days=3), capacity=1, waitlist_enabled=False
    )
    claim_create(volunteer=make_volunteer(), shift_id=shift.pk)
    refused = make_volunteer()
    with pytest.raises(Exception) as error:
        claim_create(volunteer=refused, shift_id=shift.pk)
    assert getattr(error.value, "code", None) == "shift_full"
    assert not Claim.objects.filter(volunteer=refused).exists()
    shift.refresh_from_db()
    assert (shift.confirmed_count, shift.waitlist_count) == (1, 0)


def test_claiming_again_after_cancelling_reuses_the_row_and_plans_again(
    organisation, make_volunteer
):
    volunteer = make_volunteer()
    shift = shift_at(organisation, starts_in=dt.timedelta(days=5), capacity=2)
    first = claim_create(volunteer=volunteer, shift_id=shift.pk).claim
    claim_cancel(actor=volunteer, claim_id=first.pk)
    again = claim_create(volunteer=volunteer, shift_id=shift.pk)
    assert again.created and again.claim.pk == first.pk
    assert Claim.objects.get(pk=first.pk).status == ClaimStatus.CONFIRMED
    assert Notification.objects.filter(claim_id=first.pk, kind=Kind.PLAN).count() == 2

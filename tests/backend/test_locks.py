"""backend/shifts/locks.py: one lock order, no locks outside a transaction, and contention
that ends as ``busy`` (or is absorbed by a retry) instead of a server error."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.db import connection

from backend.organisations.models import Organisation
from backend.shifts import locks
from backend.shifts.models import Claim, ClaimStatus
from backend.shifts.services import claim_cancel, claim_create
from tests.backend.conftest import MakeVolunteer
from tests.conftest import client_for
from tests.factories import shift_at
from tests.faults.servers import deadlocks
from tests.realtime.live import test_database_url as database_url

pytestmark = pytest.mark.django_db(transaction=True)


def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks and lock timeouts are PostgreSQL's")


def test_a_lock_outside_a_transaction_is_refused(organisation: Organisation) -> None:
    shift = shift_at(organisation)
    with pytest.raises(RuntimeError, match="inside a transaction"):
        locks.lock_shift(shift.pk)


def test_a_lock_taken_out_of_order_is_a_bug_not_a_deadlock_later(
    organisation: Organisation, make_volunteer: MakeVolunteer
) -> None:
    shift = shift_at(organisation)
    volunteer = make_volunteer()

    @locks.transaction_retrying
    def wrong_order() -> None:
        locks.lock_shift(shift.pk)
        locks.lock_profiles([volunteer.pk])

    with pytest.raises(locks.LockOrderError):
        wrong_order()


def test_a_lock_not_granted_in_time_answers_503_busy_with_retry_after(
    organisation: Organisation, make_volunteer: MakeVolunteer
) -> None:
    _postgresql_only()
    volunteer = make_volunteer()
    shift = shift_at(organisation)
    claim_create(volunteer=volunteer, shift_id=shift.pk)
    with psycopg.connect(database_url()) as other:
        # Someone else holds the shift row (a long transaction, a stuck process).
        other.execute("SELECT id FROM shifts_shift WHERE id = %s FOR UPDATE", [shift.pk])
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        try:
            response = client_for(volunteer).delete(f"/api/v1/shifts/{shift.pk}/claim/")
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        other.rollback()
    assert response.status_code == 503
    assert response.json()["code"] == "busy"
    assert response["Retry-After"] == "1"
    # Nothing changed: the claim is still there, and cancelling again works.
    assert Claim.objects.get(volunteer=volunteer).status == ClaimStatus.CONFIRMED
    assert client_for(volunteer).delete(f"/api/v1/shifts/{shift.pk}/claim/").status_code == 200


def test_a_deadlock_victim_is_run_again_and_the_cancellation_goes_through(
    organisation: Organisation, make_volunteer: MakeVolunteer
) -> None:
    _postgresql_only()
    seated, waiting = make_volunteer(), make_volunteer()
    shift = shift_at(organisation, capacity=1)
    seat = claim_create(volunteer=seated, shift_id=shift.pk).claim
    claim_create(volunteer=waiting, shift_id=shift.pk)
    before = deadlocks()
    locked_shift = threading.Event()
    other_error: list[BaseException] = []

    def against_the_order() -> None:
        # Another program that takes the same two rows the other way round: the shift, then
        # (once our cancellation waits for the shift) the waiting volunteer's profile.
        try:
            with psycopg.connect(database_url()) as other:
                other.execute("SELECT id FROM shifts_shift WHERE id = %s FOR UPDATE", [shift.pk])
                locked_shift.set()
                time.sleep(0.5)
                other.execute(
                    "SELECT id FROM accounts_volunteerprofile WHERE user_id = %s FOR UPDATE",
                    [waiting.pk],
                )
                other.commit()
        except BaseException as error:
            other_error.append(error)

    thread = threading.Thread(target=against_the_order)
    thread.start()
    locked_shift.wait(5)
    cancelled = claim_cancel(actor=seated, claim_id=seat.pk)
    thread.join(10)

    assert deadlocks() - before == 1  # PostgreSQL broke one, and it was ours
    assert not other_error
    assert cancelled.status == ClaimStatus.CANCELLED
    assert Claim.objects.get(volunteer=waiting).status == ClaimStatus.CONFIRMED

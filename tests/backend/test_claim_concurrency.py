"""Claims racing each other: never overbooked, the waitlist in a strict order, whatever the timing.

Each test releases its threads (or processes) together with a barrier, after each has opened
its own database connection, so the claims really hit the database at the same moment. They
need committed data shared between connections: the ``shared_database`` fixture gives them a
transactional test database (and skips on SQLite's in-memory one, which can't be shared).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from functools import partial

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from pytest_django import Settings

from backend.accounts.models import User
from backend.core.errors import (
    CapacityBelowConfirmed,
    DomainError,
    ShiftFull,
    ShiftNotOpen,
    TooManyClaims,
)
from backend.organisations.models import Organisation
from backend.shifts.models import Claim, ClaimStatus, Shift
from backend.shifts.selectors import waitlist_position
from backend.shifts.services import (
    ClaimResult,
    claim_cancel,
    claim_create,
    shift_cancel,
    shift_update,
)
from tests.backend.claim_process import claim_in_process, connect_patiently
from tests.backend.conftest import MakeVolunteer
from tests.factories import shift_at

VOLUNTEERS = 50
CAPACITY = 5
# Starting a process with Django in it costs about a second of CPU; a few processes of ten
# threads each prove the claims hold across processes without a minute of start-up.
PROCESSES = 5

Outcome = ClaimResult | Claim | Shift | DomainError


def at_once(jobs: Sequence[Callable[[], ClaimResult | Claim | Shift]]) -> list[Outcome]:
    """Run each job in its own thread, all released at once; return what each returned.

    Domain errors are outcomes; anything else (a deadlock, an IntegrityError) fails the test.
    """
    barrier = threading.Barrier(len(jobs))
    outcomes: list[Outcome | BaseException | None] = [None] * len(jobs)

    def run(index: int, job: Callable[[], ClaimResult | Claim | Shift]) -> None:
        try:
            connect_patiently()
            barrier.wait(timeout=30)
            outcomes[index] = job()
        except BaseException as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    unexpected = [o for o in outcomes if not isinstance(o, Outcome)]
    assert not unexpected, unexpected
    return outcomes  # type: ignore[return-value]


def assert_counters_match_rows(shift: Shift) -> tuple[list[Claim], list[Claim]]:
    """The seat counters equal the real rows, within capacity, and the waitlist is a strict
    order 1..n. Returns (confirmed, waitlisted in order)."""
    shift.refresh_from_db()
    confirmed = list(Claim.objects.filter(shift=shift, status=ClaimStatus.CONFIRMED))
    waitlisted = list(
        Claim.objects.filter(shift=shift, status=ClaimStatus.WAITLISTED).order_by("waitlist_ticket")
    )
    assert len(confirmed) <= shift.capacity
    assert shift.confirmed_count == len(confirmed)
    assert shift.waitlist_count == len(waitlisted)
    tickets = [claim.waitlist_ticket for claim in waitlisted]
    assert len(set(tickets)) == len(tickets), "two volunteers share a place in line"
    positions = [waitlist_position(claim=claim) for claim in waitlisted]
    assert positions == list(range(1, len(waitlisted) + 1))
    return confirmed, waitlisted


def batched(items: Sequence[User], size: int) -> Iterator[Sequence[User]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def claim_jobs(volunteers: Sequence[User], shift: Shift) -> list[Callable[[], ClaimResult]]:
    return [partial(claim_create, volunteer=v, shift_id=shift.pk) for v in volunteers]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared_database")
def test_fifty_volunteers_claiming_five_seats_at_once_get_five_seats_and_a_strict_waitlist(
    organisation: Organisation, make_volunteer: MakeVolunteer
) -> None:
    shift = shift_at(organisation, capacity=CAPACITY)
    volunteers = [make_volunteer() for _ in range(VOLUNTEERS)]

    outcomes = at_once(claim_jobs(volunteers, shift))

    assert all(isinstance(o, ClaimResult) and o.created for o in outcomes)
    statuses = Counter(o.claim.status for o in outcomes if isinstance(o, ClaimResult))
    assert statuses == {"confirmed": CAPACITY, "waitlisted": VOLUNTEERS - CAPACITY}
    confirmed, waitlisted = assert_counters_match_rows(shift)
    assert len(confirmed) == CAPACITY
    assert len(waitlisted) == VOLUNTEERS - CAPACITY


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared_database")
def test_fifty_volunteers_claiming_five_seats_without_a_waitlist_leaves_forty_five_refused(
    organisation: Organisation, make_volunteer: MakeVolunteer
) -> None:
    shift = shift_at(organisation, capacity=CAPACITY, waitlist_enabled=False)
    volunteers = [make_volunteer() for _ in range(VOLUNTEERS)]

    outcomes = at_once(claim_jobs(volunteers, shift))

    assert sum(isinstance(o, ClaimResult) and o.claim.status == "confirmed" for o in outcomes) == 5
    assert sum(isinstance(o, ShiftFull) for o in outcomes) == VOLUNTEERS - CAPACITY
    confirmed, waitlisted = assert_counters_match_rows(shift)
    assert (len(confirmed), len(waitlisted)) == (CAPACITY, 0)
    assert Claim.objects.filter(shift=shift).count() == CAPACITY


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared_database")
def test_freed_seats_go_to_the_earliest_eligible_waitlisted_volunteers_not_to_newcomers(
    organisation: Organisation, make_volunteer: MakeVolunteer
) -> None:
    shift = shift_at(organisation, capacity=CAPACITY)
    seated = [make_volunteer() for _ in range(CAPACITY)]
    waiting = [make_volunteer() for _ in range(10)]
    newcomers = [make_volunteer() for _ in range(30)]
    seats = [claim_create(volunteer=v, shift_id=shift.pk).claim for v in seated]
    for volunteer in waiting:
        assert claim_create(volunteer=volunteer, shift_id=shift.pk).claim.status == "waitlisted"
    # The second in line took another shift at the same time meanwhile: not eligible any more.
    busy = waiting[1]
    same_time = shift_at(organisation, starts_in=dt.timedelta(days=2, hours=1))
    assert claim_create(volunteer=busy, shift_id=same_time.pk).claim.status == "confirmed"

    cancels = [
        partial(claim_cancel, actor=v, claim_id=c.pk) for v, c in zip(seated, seats, strict=True)
    ]
    outcomes = at_once(cancels + claim_jobs(newcomers, shift))

    assert all(not isinstance(o, DomainError) for o in outcomes)
    confirmed, waitlisted = assert_counters_match_rows(shift)
    eligible_in_order = [v for v in waiting if v != busy]
    assert {c.volunteer_id for c in confirmed} == {v.pk for v in eligible_in_order[:CAPACITY]}
    assert all(c.promoted_at is not None for c in confirmed)
    line = [c.volunteer_id for c in waitlisted]
    still_waiting = [busy, *eligible_in_order[CAPACITY:]]
    assert line[: len(still_waiting)] == [v.pk for v in still_waiting]
    assert set(line[len(still_waiting) :]) == {v.pk for v in newcomers}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared_database")
def test_one_volunteer_claiming_the_same_shift_from_ten_threads_gets_one_claim(
    volunteer: User, organisation: Organisation
) -> None:
    shift = shift_at(organisation, capacity=CAPACITY)

    outcomes = at_once(claim_jobs([volunteer] * 10, shift))

    results = [o for o in outcomes if isinstance(o, ClaimResult)]
    assert len(results) == 10
    assert sum(r.created for r in results) == 1
    assert len({r.claim.pk for r in results}) == 1
    assert Claim.objects.filter(shift=shift, volunteer=volunteer).count() == 1
    shift.refresh_from_db()
    assert shift.confirmed_count == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared_database")
def test_one_volunteer_claiming_twenty_shifts_at_once_gets_no_more_than_the_limit(
    settings: Settings, volunteer: User, organisation: Organisation
) -> None:
    limit = settings.INZET_MAX_UPCOMING_CLAIMS = 10
    shifts = [
        shift_at(organisation, starts_in=dt.timedelta(days=2, hours=3 * i)) for i in range(20)
    ]

    outcomes = at_once([partial(claim_create, volunteer=volunteer, shift_id=s.pk) for s in shifts])

    assert sum(isinstance(o, ClaimResult) for o in outcomes) == limit
    assert sum(isinstance(o, TooManyClaims) for o in outcomes) == 20 - limit
    assert Claim.objects.filter(volunteer=volunteer).count() == limit
    assert sum(Shift.objects.values_list("confirmed_count", flat=True)) == limit


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared_database")
def test_fifty_claims_from_five_processes_for_five_seats_at_once_get_five_seats_and_a_strict_waitlist(
    organisation: Organisation, make_volunteer: MakeVolunteer
) -> None:
    shift = shift_at(organisation, capacity=CAPACITY)
    volunteers = [make_volunteer() for _ in range(VOLUNTEERS)]
    database_name = connection.settings_dict["NAME"]
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(VOLUNTEERS)
    outcomes_queue = spawn.Queue()
    processes = [
        spawn.Process(
            target=claim_in_process,
            args=(database_name, shift.pk, [v.pk for v in group], barrier, outcomes_queue),
        )
        for group in batched(volunteers, VOLUNTEERS // PROCESSES)
    ]

    for process in processes:
        process.start()
    outcomes = dict(outcomes_queue.get(timeout=60) for _ in volunteers)
    for process in processes:
        process.join(timeout=30)

    assert Counter(outcomes.values()) == {
        "confirmed": CAPACITY,
        "waitlisted": VOLUNTEERS - CAPACITY,
    }
    confirmed, waitlisted = assert_counters_match_rows(shift)
    assert (len(confirmed), len(waitlisted)) == (CAPACITY, VOLUNTEERS - CAPACITY)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared_database")
def test_lowering_capacity_while_volunteers_claim_never_leaves_more_confirmed_than_seats(
    coordinator: User, organisation: Organisation, make_volunteer: MakeVolunteer
) -> None:
    shift = shift_at(organisation, capacity=10)
    volunteers = [make_volunteer() for _ in range(20)]
    lower = partial(shift_update, actor=coordinator, shift_id=shift.pk, capacity=3)

    outcomes = at_once(
        [*claim_jobs(volunteers[:10], shift), lower, *claim_jobs(volunteers[10:], shift)]
    )

    [update] = [o for o in outcomes if not isinstance(o, ClaimResult)]
    assert isinstance(update, Shift | CapacityBelowConfirmed)
    confirmed, waitlisted = assert_counters_match_rows(shift)
    assert shift.capacity == (3 if isinstance(update, Shift) else 10)
    assert len(confirmed) == shift.capacity
    assert len(confirmed) + len(waitlisted) == 20


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared_database")
def test_cancelling_a_shift_while_volunteers_claim_it_leaves_no_active_claim(
    coordinator: User, organisation: Organisation, make_volunteer: MakeVolunteer
) -> None:
    shift = shift_at(organisation, capacity=CAPACITY)
    volunteers = [make_volunteer() for _ in range(20)]
    cancel = partial(shift_cancel, actor=coordinator, shift_id=shift.pk)

    outcomes = at_once(
        [*claim_jobs(volunteers[:10], shift), cancel, *claim_jobs(volunteers[10:], shift)]
    )

    assert all(isinstance(o, ClaimResult | ShiftNotOpen | Shift) for o in outcomes), outcomes
    shift.refresh_from_db()
    assert shift.status == "cancelled"
    assert (shift.confirmed_count, shift.waitlist_count) == (0, 0)
    assert not Claim.objects.filter(shift=shift, status__in=["confirmed", "waitlisted"]).exists()
    assert Claim.objects.filter(shift=shift, cancelled_by_shift=True).count() == sum(
        isinstance(o, ClaimResult) for o in outcomes
    )


# --- the database's own guard ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_database_refuses_a_seat_counter_above_capacity_whatever_code_tries(
    organisation: Organisation,
) -> None:
    shift = shift_at(organisation, capacity=2)

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Shift._meta.db_table} SET confirmed_count = capacity + 1 WHERE id = %s",
            [shift.pk],
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Shift.objects.filter(pk=shift.pk).update(confirmed_count=F("confirmed_count") - 1)

    shift.refresh_from_db()
    assert shift.confirmed_count == 0


@pytest.mark.django_db
def test_the_database_refuses_a_second_claim_row_for_the_same_volunteer_and_shift(
    volunteer: User, organisation: Organisation
) -> None:
    shift = shift_at(organisation)
    claim_create(volunteer=volunteer, shift_id=shift.pk)

    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(
            shift=shift, volunteer=volunteer, status=ClaimStatus.WAITLISTED, waitlist_ticket=9
        )

    assert Claim.objects.filter(shift=shift, volunteer=volunteer).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared_database")
def test_a_waitlisted_volunteer_claiming_an_overlapping_shift_is_not_promoted_into_a_double_booking(
    make_volunteer: MakeVolunteer, organisation: Organisation
) -> None:
    saturday = shift_at(organisation, capacity=1)
    elsewhere = shift_at(organisation, starts_in=dt.timedelta(days=2, hours=1))
    seated, waiting = make_volunteer(), make_volunteer()
    seat = claim_create(volunteer=seated, shift_id=saturday.pk).claim
    claim_create(volunteer=waiting, shift_id=saturday.pk)
    claimed, release = threading.Event(), threading.Event()
    outcomes: list[object] = []

    def claim_elsewhere_and_commit_slowly() -> None:
        # The volunteer's claim on the other shift is made but not yet committed while the
        # seat on Saturday frees up: the moment the two checks could miss each other.
        try:
            with transaction.atomic():
                outcomes.append(claim_create(volunteer=waiting, shift_id=elsewhere.pk))
                claimed.set()
                release.wait(timeout=5)
        except BaseException as error:
            outcomes.append(error)
            claimed.set()
        finally:
            connection.close()

    def cancel_the_seat() -> None:
        try:
            outcomes.append(claim_cancel(actor=seated, claim_id=seat.pk))
        except BaseException as error:
            outcomes.append(error)
        finally:
            connection.close()

    claimer = threading.Thread(target=claim_elsewhere_and_commit_slowly)
    claimer.start()
    assert claimed.wait(timeout=10)
    canceller = threading.Thread(target=cancel_the_seat)
    canceller.start()
    canceller.join(timeout=0.5)
    release.set()
    claimer.join(timeout=10)
    canceller.join(timeout=10)

    assert not any(isinstance(o, BaseException) for o in outcomes), outcomes
    confirmed = Claim.objects.filter(volunteer=waiting, status=ClaimStatus.CONFIRMED)
    assert [c.shift_id for c in confirmed] == [elsewhere.pk]
    assert_counters_match_rows(saturday)

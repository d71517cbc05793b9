"""Domain events: each state change others should see arrives on the channel layer, after
commit, once, with the shift's counts; a rolled-back change publishes nothing.

These run on whichever channel layer the settings configure (in memory, or Redis when
REDIS_URL is set), and need real commits for ``on_commit`` to fire, hence ``transaction=True``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.layers import get_channel_layer
from django.db import connection, transaction
from django.utils import timezone

from backend.accounts.models import User
from backend.core.errors import ShiftFull
from backend.organisations.models import Organisation
from backend.shifts.models import Claim
from backend.shifts.services import (
    claim_cancel,
    claim_create,
    shift_cancel,
    shift_create,
    shift_publish,
    shift_update,
)
from realtime.events import _deliver, organisation_group, user_group
from tests.backend.conftest import EventListener, MakeShift, MakeVolunteer

pytestmark = pytest.mark.django_db(transaction=True)


class Boom(Exception):
    pass


def test_a_confirmed_claim_is_published_to_the_organisation_after_commit(
    listener: EventListener, volunteer: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation, capacity=3)
    listener.subscribe(organisation_group(organisation.pk))

    with transaction.atomic():
        claim = claim_create(volunteer=volunteer, shift_id=shift.pk).claim
        assert listener.events(quiet=0.2) == [], "published before commit"

    [event] = listener.events(1)
    assert event["type"] == "claim.confirmed"
    assert event["organisation_id"] == organisation.pk
    assert event["shift"]["id"] == shift.pk
    assert (event["shift"]["confirmed_count"], event["shift"]["waitlist_count"]) == (1, 0)
    assert event["shift"]["capacity"] == 3
    assert event["claim"]["id"] == claim.pk
    assert event["claim"]["volunteer_id"] == volunteer.pk
    assert event["claim"]["status"] == "confirmed"


def test_the_volunteer_hears_about_their_own_claim_on_their_own_group(
    listener: EventListener, volunteer: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation)
    listener.subscribe(user_group(volunteer.pk))

    claim_create(volunteer=volunteer, shift_id=shift.pk)

    assert [e["type"] for e in listener.events(1)] == ["claim.confirmed"]


def test_a_waitlisted_claim_is_published_with_the_waitlist_count(
    listener: EventListener,
    make_volunteer: MakeVolunteer,
    organisation: Organisation,
    make_shift: MakeShift,
) -> None:
    shift = make_shift(organisation, capacity=1)
    claim_create(volunteer=make_volunteer(), shift_id=shift.pk)
    listener.subscribe(organisation_group(organisation.pk))

    claim_create(volunteer=make_volunteer(), shift_id=shift.pk)

    [event] = listener.events(1)
    assert event["type"] == "claim.waitlisted"
    assert event["claim"]["status"] == "waitlisted"
    assert (event["shift"]["confirmed_count"], event["shift"]["waitlist_count"]) == (1, 1)


def test_a_cancellation_that_promotes_publishes_the_cancellation_then_the_promotion(
    listener: EventListener,
    make_volunteer: MakeVolunteer,
    organisation: Organisation,
    make_shift: MakeShift,
) -> None:
    shift = make_shift(organisation, capacity=1, starts_in=dt.timedelta(hours=3))
    seated, waiting = make_volunteer(), make_volunteer()
    seat = claim_create(volunteer=seated, shift_id=shift.pk).claim
    in_line = claim_create(volunteer=waiting, shift_id=shift.pk).claim
    listener.subscribe(organisation_group(organisation.pk))

    claim_cancel(actor=seated, claim_id=seat.pk)

    cancelled, promoted = listener.events(2)
    assert cancelled["type"] == "claim.cancelled"
    assert cancelled["claim"]["id"] == seat.pk
    assert cancelled["claim"]["late_cancellation"] is True
    assert promoted["type"] == "claim.promoted"
    assert promoted["claim"]["id"] == in_line.pk
    assert promoted["claim"]["status"] == "confirmed"
    for event in (cancelled, promoted):
        assert (event["shift"]["confirmed_count"], event["shift"]["waitlist_count"]) == (1, 0)


def test_a_rolled_back_claim_publishes_nothing(
    listener: EventListener, volunteer: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation)
    listener.subscribe(organisation_group(organisation.pk))
    listener.subscribe(user_group(volunteer.pk))

    with pytest.raises(Boom), transaction.atomic():
        claim_create(volunteer=volunteer, shift_id=shift.pk)
        raise Boom

    assert listener.events(quiet=0.5) == []
    assert not Claim.objects.exists()
    shift.refresh_from_db()
    assert shift.confirmed_count == 0


def test_a_refused_claim_publishes_nothing(
    listener: EventListener,
    make_volunteer: MakeVolunteer,
    organisation: Organisation,
    make_shift: MakeShift,
) -> None:
    shift = make_shift(organisation, capacity=1, waitlist_enabled=False)
    claim_create(volunteer=make_volunteer(), shift_id=shift.pk)
    listener.subscribe(organisation_group(organisation.pk))

    with pytest.raises(ShiftFull):
        claim_create(volunteer=make_volunteer(), shift_id=shift.pk)

    assert listener.events(quiet=0.3) == []


def test_claiming_again_publishes_nothing_new(
    listener: EventListener, volunteer: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation)
    claim_create(volunteer=volunteer, shift_id=shift.pk)
    listener.subscribe(organisation_group(organisation.pk))

    claim_create(volunteer=volunteer, shift_id=shift.pk)

    assert listener.events(quiet=0.3) == []


def test_shift_life_cycle_events_reach_the_organisation(
    listener: EventListener, coordinator: User, volunteer: User, organisation: Organisation
) -> None:
    listener.subscribe(organisation_group(organisation.pk))
    starts_at = (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)
    draft = shift_create(
        actor=coordinator,
        organisation=organisation,
        title="Voorlezen",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=2),
        capacity=2,
        address="Kerkstraat 1, Gent",
    )
    assert listener.events(quiet=0.2) == [], "a draft is nobody else's business yet"

    shift_publish(actor=coordinator, shift_id=draft.pk)
    [created] = listener.events(1)
    assert created["type"] == "shift.created"
    assert created["shift"]["status"] == "published"

    claim_create(volunteer=volunteer, shift_id=draft.pk)
    listener.events(1)
    shift_update(
        actor=coordinator,
        shift_id=draft.pk,
        starts_at=starts_at + dt.timedelta(hours=1),
        ends_at=starts_at + dt.timedelta(hours=3),
    )
    [changed] = listener.events(1)
    assert changed["type"] == "shift.changed"
    assert changed["time_changed"] is True
    assert changed["shift"]["starts_at"] == (starts_at + dt.timedelta(hours=1)).isoformat()
    assert changed["shift"]["confirmed_count"] == 1

    shift_cancel(actor=coordinator, shift_id=draft.pk)
    [cancelled] = listener.events(1)
    assert cancelled["type"] == "shift.cancelled"
    assert cancelled["shift"]["status"] == "cancelled"
    assert (cancelled["shift"]["confirmed_count"], cancelled["shift"]["waitlist_count"]) == (0, 0)


def test_a_shift_created_published_is_announced_once(
    listener: EventListener, coordinator: User, organisation: Organisation
) -> None:
    listener.subscribe(organisation_group(organisation.pk))
    starts_at = (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)

    shift = shift_create(
        actor=coordinator,
        organisation=organisation,
        title="Online praatcafé",
        mode="online",
        meeting_link="https://meet.example/praatcafe",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
        capacity=8,
        publish=True,
    )

    [event] = listener.events(1)
    assert event["type"] == "shift.created"
    assert event["shift"]["id"] == shift.pk


def test_the_volunteers_of_a_shift_hear_it_was_cancelled_on_their_own_group(
    listener: EventListener,
    coordinator: User,
    volunteer: User,
    organisation: Organisation,
    make_shift: MakeShift,
) -> None:
    shift = make_shift(organisation)
    claim_create(volunteer=volunteer, shift_id=shift.pk)
    listener.subscribe(user_group(volunteer.pk))

    shift_cancel(actor=coordinator, shift_id=shift.pk)

    assert [e["type"] for e in listener.events(1)] == ["shift.cancelled"]


def test_raising_capacity_publishes_the_change_and_each_promotion(
    listener: EventListener,
    coordinator: User,
    make_volunteer: MakeVolunteer,
    organisation: Organisation,
    make_shift: MakeShift,
) -> None:
    shift = make_shift(organisation, capacity=1)
    for _ in range(3):
        claim_create(volunteer=make_volunteer(), shift_id=shift.pk)
    listener.subscribe(organisation_group(organisation.pk))

    shift_update(actor=coordinator, shift_id=shift.pk, capacity=3)

    events = listener.events(3)
    assert [e["type"] for e in events] == ["shift.changed", "claim.promoted", "claim.promoted"]
    assert events[0]["time_changed"] is False
    assert all(e["shift"]["confirmed_count"] == 3 for e in events)


def test_claims_committed_at_once_are_all_published_numbered_one_after_the_other(
    listener: EventListener,
    make_volunteer: MakeVolunteer,
    organisation: Organisation,
    make_shift: MakeShift,
) -> None:
    # Events go out from the process's publishing thread, in batches when they come fast;
    # a board must still get every one, numbered without gaps, each with its shift's row.
    shifts = [make_shift(organisation, capacity=1) for _ in range(4)]
    volunteers = [make_volunteer() for _ in range(20)]
    listener.subscribe(organisation_group(organisation.pk))

    def claim(n: int) -> None:
        try:
            claim_create(volunteer=volunteers[n], shift_id=shifts[n % 4].pk)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(claim, range(20)))

    events = listener.events(20)
    assert sorted(e["type"] for e in events) == ["claim.confirmed"] * 4 + ["claim.waitlisted"] * 16
    numbers = [m["seq"] for m in listener.messages]
    assert numbers == list(range(numbers[0], numbers[0] + 20))
    last_rows = {m["board_shift"]["id"]: m["board_shift"] for m in listener.messages}
    assert {
        row["id"]: (row["confirmed_count"], row["waitlist_count"]) for row in last_rows.values()
    } == {shift.pk: (1, 4) for shift in shifts}


def test_events_dropped_from_a_full_queue_still_take_their_numbers(
    listener: EventListener, volunteer: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    # When the queue overflows (Redis unreachable for long), the dropped events' numbers are
    # taken with the next batch, so boards see a gap and fetch a new snapshot.
    shift = make_shift(organisation)
    listener.subscribe(organisation_group(organisation.pk))
    claim_create(volunteer=volunteer, shift_id=shift.pk)
    [first] = listener.events(1)
    before = listener.messages[-1]["seq"]

    layer = get_channel_layer()
    _deliver(
        layer,
        [([organisation_group(organisation.pk)], first)],
        dropped=Counter({organisation.pk: 3}),
    )

    listener.events(1)
    assert listener.messages[-1]["seq"] == before + 4

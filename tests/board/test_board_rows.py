"""The board rows the event publisher sends with each batch of events (``board_shifts``, by
shift id, from statements compiled once per process) equal the rows of the board's snapshot
(``board_snapshot``, built by the ORM each time), on the database in use (PostgreSQL in CI),
for batches of any size."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.board.selectors import (
    WAITLIST_SHOWN,
    BoardShift,
    board_shifts,
    board_snapshot,
    board_window,
)
from backend.shifts.models import Claim, ShiftStatus
from backend.shifts.services import claim_cancel, claim_create
from tests.factories import ShiftFactory
from tests.fresh_process import after_setup

pytestmark = pytest.mark.django_db


def _snapshot_rows(organisation) -> dict[int, BoardShift]:  # type: ignore[no-untyped-def]
    start, end = board_window(organisation=organisation, now=timezone.now(), days=31)
    return {
        row["id"]: row
        for row in board_snapshot(organisation=organisation, start=start, end=end)["shifts"]
    }


def _shifts(organisation, count: int, **fields):  # type: ignore[no-untyped-def]
    first = timezone.now().replace(microsecond=0) + dt.timedelta(days=1)
    return [
        ShiftFactory(
            organisation=organisation,
            starts_at=first + dt.timedelta(hours=3 * i),
            ends_at=first + dt.timedelta(hours=3 * i + 2),
            **fields,
        )
        for i in range(count)
    ]


def test_rows_by_id_equal_the_snapshots_rows_for_every_batch_size(organisation, make_volunteer):
    shifts = _shifts(organisation, 40, capacity=2)
    # Different situations on different shifts: seats and a waitlist, a checked-in seat, a
    # cancelled claim (not shown), a cancelled shift (shown), a draft (never shown).
    claims = {
        shift.pk: [
            claim_create(volunteer=make_volunteer(), shift_id=shift.pk).claim for _ in range(5)
        ]
        for shift in shifts[::3]
    }
    gone = claims[shifts[3].pk][0]
    claim_cancel(actor=gone.volunteer, claim_id=gone.pk)
    Claim.objects.filter(pk=claims[shifts[6].pk][1].pk).update(checked_in_at=timezone.now())
    shifts[9].status = ShiftStatus.CANCELLED
    shifts[9].save()
    draft = ShiftFactory(organisation=organisation, status=ShiftStatus.DRAFT)

    expected = _snapshot_rows(organisation)
    assert len(expected) == 40 and draft.pk not in expected
    ids = [shift.pk for shift in shifts]
    # 1 and 2 ids are compiled slots; 3 and 13 are padded; 40 goes in two chunks.
    for batch in ([ids[0]], ids[:2], ids[3:6], ids[:13], ids, list(reversed(ids))):
        assert board_shifts(shift_ids=batch) == {i: expected[i] for i in batch}, len(batch)
    # Drafts, unknown ids and repeated ids.
    assert board_shifts(shift_ids=[draft.pk, 10**9]) == {}
    assert board_shifts(shift_ids=[ids[0], ids[0], draft.pk]) == {ids[0]: expected[ids[0]]}
    assert board_shifts(shift_ids=[]) == {}

    # The rows really differ between situations (so equality above means something).
    assert [v["status"] for v in expected[ids[0]]["volunteers"]] == ["confirmed"] * 2 + [
        "waitlisted"
    ] * 3
    assert len(expected[ids[3]]["volunteers"]) == 4
    assert [v["attendance"] for v in expected[ids[6]]["volunteers"]][:2] == [
        "not_checked_in",
        "checked_in",
    ]
    assert expected[ids[9]]["status"] == "cancelled"
    assert expected[ids[1]]["volunteers"] == []


def test_rows_by_id_name_the_first_of_a_long_waitlist_as_the_snapshot_does(
    organisation, make_volunteer
):
    shift, other = _shifts(organisation, 2, capacity=1)
    for _ in range(WAITLIST_SHOWN + 3):
        claim_create(volunteer=make_volunteer(), shift_id=shift.pk)
    claim_create(volunteer=make_volunteer(), shift_id=other.pk)
    rows = board_shifts(shift_ids=[shift.pk, other.pk])
    assert rows == {i: row for i, row in _snapshot_rows(organisation).items()}
    assert len(rows[shift.pk]["volunteers"]) == 1 + WAITLIST_SHOWN
    assert rows[shift.pk]["waitlist_count"] == WAITLIST_SHOWN + 2


def test_rows_by_id_take_two_queries_per_32_shifts(
    organisation, make_volunteer, django_assert_num_queries
):
    shifts = _shifts(organisation, 33)
    for shift in shifts:
        claim_create(volunteer=make_volunteer(), shift_id=shift.pk)
    ids = [shift.pk for shift in shifts]
    with django_assert_num_queries(2):
        assert len(board_shifts(shift_ids=ids[:1])) == 1
    with django_assert_num_queries(2):
        rows = board_shifts(shift_ids=ids[:32])
    assert all(len(row["volunteers"]) == 1 for row in rows.values())
    with django_assert_num_queries(4):
        assert len(board_shifts(shift_ids=ids)) == 33
    # A batch of shifts none of which is on a board: the claims are not read.
    with django_assert_num_queries(1):
        assert board_shifts(shift_ids=[10**9]) == {}


def test_the_one_shift_row_read_is_compiled_when_the_app_starts() -> None:
    """In a fresh process, django.setup() alone (no event, no database connection: the
    database URL points at a closed port) leaves the one-shift read compiled."""
    out = after_setup(
        "from django.db import connection; "
        "from backend.board.selectors import _rows_by_id; "
        "print([sorted(read._compiled) for read in _rows_by_id(1)], connection.connection is None)"
    )
    assert out == "[['default'], ['default']] True"

"""Taking a seat or a waitlist ticket, and writing the claim that holds it.

Each taker is one conditional UPDATE of the shift's counters: the row lock it takes makes
concurrent takers queue, and each re-checks its condition on the row as the one before left
it, so ``confirmed_count`` can never pass the capacity (a CHECK constraint backs this).

On PostgreSQL a new claim is written in the same statement as its seat (``claim_write``): a
data-modifying CTE updates the counters, inserts the claim from the UPDATE's RETURNING and, for
a confirmed seat, the notification row the worker plans reminders from. No seat, no claim: the
INSERT selects from the UPDATE's output, which is empty when the condition failed. A unique
violation (the same volunteer's claim inserted meanwhile) fails the whole statement, seat
included. That saves two round trips per claim (issue 10: at most five statements, BEGIN and
COMMIT included). Other databases (SQLite, the embedded default) take the seat, then save the
claim and its notification with the ORM: the same rows, three statements.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection

from backend.core.sql import insert_select
from backend.notifications import records as notification_records
from backend.shifts.models import Claim, ClaimStatus, Shift, ShiftStatus


@dataclass(frozen=True)
class Counts:
    confirmed: int
    waitlisted: int
    ticket: int | None = None


_SEAT = (
    "UPDATE {table} SET confirmed_count = confirmed_count + 1 "
    "WHERE id = %s AND status = %s AND confirmed_count < capacity "
    "RETURNING confirmed_count, waitlist_count, CAST(NULL AS integer) AS waitlist_seq"
)
_TICKET = (
    "UPDATE {table} SET waitlist_seq = waitlist_seq + 1, waitlist_count = waitlist_count + 1 "
    "WHERE id = %s AND status = %s AND waitlist_enabled AND confirmed_count >= capacity "
    "RETURNING confirmed_count, waitlist_count, waitlist_seq"
)


def _take(template: str, shift_id: int) -> Counts | None:
    with connection.cursor() as cursor:
        cursor.execute(
            template.format(table=Shift._meta.db_table), [shift_id, ShiftStatus.PUBLISHED.value]
        )
        row = cursor.fetchone()
    return Counts(row[0], row[1], row[2]) if row else None


def take_seat(shift_id: int) -> Counts | None:
    """Take one seat if one is free; the new counts, else None."""
    return _take(_SEAT, shift_id)


def take_ticket(shift_id: int) -> Counts | None:
    """Take the next waitlist ticket if the shift is published, full and has a waitlist; the
    new counts and the ticket, else None (a seat freed meanwhile makes it miss: the caller
    then takes the seat)."""
    return _take(_TICKET, shift_id)


def claim_write(*, claim: Claim, shift: Shift, waitlisted: bool, now: dt.datetime) -> Counts | None:
    """Take a seat (or with ``waitlisted`` a ticket) for the unsaved ``claim`` and insert it,
    with its "plan reminders" notification when confirmed. None if there was no seat (or
    ticket): then nothing was written. On success ``claim`` is saved (it has its pk)."""
    status = ClaimStatus.WAITLISTED if waitlisted else ClaimStatus.CONFIRMED
    claim.status = status
    claim.confirmed_at = None if waitlisted else now
    if connection.vendor != "postgresql":
        counts = take_ticket(shift.pk) if waitlisted else take_seat(shift.pk)
        if counts is None:
            return None
        claim.waitlist_ticket = counts.ticket
        claim.save()
        if not waitlisted:
            notification_records.record_claim_confirmed(claim=claim, shift=shift, now=now)
        return counts

    claim.waitlist_ticket = None  # from the ticket UPDATE's RETURNING, in SQL
    taker = (_TICKET if waitlisted else _SEAT).format(table=Shift._meta.db_table)
    insert_claim, claim_params = insert_select(
        claim,
        source="taken",
        expressions={"waitlist_ticket": "taken.waitlist_seq"},
        connection=connection,
        returning="id",
    )
    sql = f"WITH taken AS ({taker}), written AS ({insert_claim})"
    params: list[Any] = [shift.pk, ShiftStatus.PUBLISHED.value, *claim_params]
    if not waitlisted:
        plan, key_suffix = notification_records.claim_confirmed_row(
            claim=claim, shift=shift, now=now
        )
        insert_plan, plan_params = insert_select(
            plan,
            source="written",
            expressions={
                "key": ("%s || written.id || %s", ["plan:", key_suffix]),
                "claim_id": "written.id",
            },
            connection=connection,
            on_conflict_do_nothing=True,
        )
        sql += f", planned AS ({insert_plan})"
        params += plan_params
    sql += (
        " SELECT taken.confirmed_count, taken.waitlist_count, taken.waitlist_seq, written.id"
        " FROM taken, written"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    claim.pk = row[3]
    claim.waitlist_ticket = row[2]
    claim._state.adding = False
    claim._state.db = connection.alias
    return Counts(row[0], row[1], row[2])

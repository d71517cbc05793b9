"""Every row lock of the shifts domain, in one order, and what happens when locks collide.

A transaction takes its locks in this order and never goes back to an earlier level, so two
transactions can never wait for each other in a circle (a deadlock):

0. an organisation's week copies (``lock_week_copies``): an advisory lock, not a row lock, so
   that two copies of the same week run one after the other; it conflicts with nothing else;
1. volunteer profiles, by user id (``lock_profiles``): one volunteer's claims run one at a
   time; promotion from a waitlist locks the candidates' profiles too, first
   (``lock_waitlists``), since promoting is judging their overlap like their own claim does;
2. series (``lock_series``);
3. shifts, by id (``lock_shift``, and the conditional UPDATEs of claim_create that take a seat
   or a ticket);
4. claims (``lock_claim``), and the requests that hand a claim over: stand-ins
   (``lock_stand_in``) and swaps (``lock_swap``);
5. a volunteer's allowance ledger: an advisory lock per person, taken by the allowance
   services (``backend/allowances/services.py``) after everything else, so that one
   person's entries are judged against the caps one at a time;
6. memberships are only written, last (the no-show counter is one conditional UPDATE).

Each lock is ``FOR NO KEY UPDATE OF`` the one table meant. A plain ``FOR UPDATE`` also
conflicts with the KEY SHARE locks that foreign-key checks take (inserting a claim or a
membership), and ``FOR UPDATE`` on a query with joins locks every joined row: locking a shift
used to lock its organisation as well, so every cancellation in an organisation queued behind
the others and, with the waitlist's profile locks, deadlocked (issue 16).

Locks are refused outside a transaction (they would be released at once). PostgreSQL waits at
most ``DB_LOCK_TIMEOUT_MS`` for one (the connection's ``lock_timeout``); ``transaction_retrying``
runs a service in a transaction, tries a deadlock victim once more, and turns contention that
remains into ``Busy`` (HTTP 503 with Retry-After, a sentence in the bot, an error frame on the
websocket) rather than a server error. SQLite has no row locks: there the first write of a
transaction takes the database's write lock (``transaction_mode=IMMEDIATE``) and these
functions only read.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from django.db import OperationalError, connection, transaction

from backend.accounts.models import VolunteerProfile
from backend.core.errors import CONTENTION, LOCK_NOT_AVAILABLE, Busy, NotFound, sqlstate
from backend.shifts.models import (
    Claim,
    ClaimStatus,
    Shift,
    ShiftSeries,
    StandInRequest,
    SwapRequest,
)

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

ATTEMPTS = 3

# The profiles this transaction has locked for promotion (level 1), so that promotion, deep
# inside a service, can tell whether a candidate may be judged without breaking the order.
_promotion_profiles: ContextVar[frozenset[int] | None] = ContextVar(
    "promotion_profiles", default=None
)


# The highest level this transaction has locked so far; None outside ``transaction_retrying``.
_level: ContextVar[int | None] = ContextVar("lock_level", default=None)

WEEK_COPIES, PROFILES, SERIES, SHIFTS, CLAIMS = 0, 1, 2, 3, 4

# The first key of the week copies' advisory lock (the organisation's id is the second).
WEEK_COPY_LOCK = 0x7765656B  # "week"


class LockOrderError(RuntimeError):
    """A lock was asked for after one later in the order: a bug, which could deadlock."""


def _enter(level: int) -> None:
    _require_transaction()
    current = _level.get()
    if current is None:
        return
    if level < current:
        raise LockOrderError(f"lock level {level} taken after level {current}")
    _level.set(level)


class WaitlistMoved(Busy):
    """A volunteer joined the waitlist after its profiles were locked, and promotion reached
    them: their profile can't be locked now without breaking the order. The transaction is
    rolled back and run again (``transaction_retrying``); it is ``Busy`` if that keeps
    happening."""


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("row locks are taken inside a transaction only")


def transaction_retrying(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` in a transaction; rerun it after a deadlock or a moved waitlist.

    Nested in another transaction, it is a savepoint and leaves retrying to the outermost
    one, whose locks a retry would need to release too.
    """

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if connection.in_atomic_block:
            with transaction.atomic():
                return func(*args, **kwargs)
        for attempt in range(1, ATTEMPTS + 1):
            token = _promotion_profiles.set(frozenset())
            level_token = _level.set(0)
            try:
                with transaction.atomic():
                    return func(*args, **kwargs)
            except WaitlistMoved:
                if attempt == ATTEMPTS:
                    raise
            except OperationalError as error:
                state = sqlstate(error)
                if state not in CONTENTION:
                    raise
                # Waiting the full lock timeout again would make the client wait twice.
                if state == LOCK_NOT_AVAILABLE or attempt == ATTEMPTS:
                    logger.warning("%s gave up after contention (%s)", func.__name__, state)
                    raise Busy() from error
            finally:
                _promotion_profiles.reset(token)
                _level.reset(level_token)
        raise AssertionError("unreachable")

    return run


def lock_profiles(user_ids: Iterable[int]) -> None:
    """Level 1: lock volunteers' profiles, in user id order. None to lock takes no level: a
    transaction that holds later locks may ask for an empty set (nobody new waiting)."""
    ids = sorted(set(user_ids))
    _require_transaction()
    if ids:
        _enter(PROFILES)
        list(
            VolunteerProfile.objects.select_for_update(no_key=True)
            .filter(user_id__in=ids)
            .order_by("user_id")
            .values_list("pk", flat=True)
        )


def lock_profile(user_id: int) -> bool:
    """Level 1: lock one volunteer's profile; False if they have none (yet).

    Every claim starts here, so the statement is written once rather than built by the ORM
    each time (what ``select_for_update(no_key=True).filter(user_id=...).exists()`` sends).
    """
    _enter(PROFILES)
    table = connection.ops.quote_name(VolunteerProfile._meta.db_table)
    lock = " FOR NO KEY UPDATE" if connection.features.has_select_for_no_key_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE user_id = %s LIMIT 1{lock}", [user_id])
        return cursor.fetchone() is not None


def lock_waitlists(shift_ids: Iterable[int]) -> frozenset[int]:
    """Level 1: lock the profiles of everyone waitlisted on these shifts, before the shifts
    themselves, so a promotion can judge them (see ``locked_candidates``).

    Inside a transaction that already took them, only those new to it are locked, and only
    while it holds nothing later in the order (the caller says so by locking first)."""
    _require_transaction()
    held = _promotion_profiles.get()
    waiting = set(
        Claim.objects.filter(shift_id__in=list(shift_ids), status=ClaimStatus.WAITLISTED)
        .values_list("volunteer_id", flat=True)
        .order_by()
    )
    if held is None:
        # Inside a transaction begun elsewhere (the admin's form, a test): nothing tracks the
        # order there; lock them, and promotion locks each candidate again (a no-op).
        lock_profiles(waiting)
        return frozenset(waiting)
    new = waiting - held
    if new and (_level.get() or 0) > PROFILES:
        # Joined after the transaction locked them, and it holds later locks by now.
        raise WaitlistMoved()
    lock_profiles(new)
    held = held | new
    _promotion_profiles.set(held)
    return held


def locked_candidates(volunteer_ids: Iterable[int]) -> frozenset[int]:
    """Before promoting: which of these waitlisted volunteers have their profiles locked, so
    that they may be judged. Anyone else joined after ``lock_waitlists``: reaching them
    means ``WaitlistMoved`` (their profile can't be locked now without breaking the order)."""
    ids = frozenset(volunteer_ids)
    held = _promotion_profiles.get()
    if held is None:
        # Untracked (see lock_waitlists): lock them here, as before the lock order existed.
        lock_profiles(ids)
        return ids
    if connection.vendor == "sqlite":
        return ids  # one writer at a time: nothing to order
    return ids & held


def lock_week_copies(organisation_id: int) -> None:
    """Level 0: copies of one organisation's weeks, one at a time. Two copies at once (a
    double click, two coordinators) would both find the target week without the copies and
    both create them; here the second waits, then finds the first one's copies. SQLite runs
    one writer at a time anyway."""
    _enter(WEEK_COPIES)
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [WEEK_COPY_LOCK, organisation_id])


def lock_series(series_id: int) -> ShiftSeries:
    """Level 2: one series; two edits of the same series run one after the other."""
    _enter(SERIES)
    try:
        return (
            ShiftSeries.objects.select_for_update(no_key=True, of=("self",))
            .select_related("organisation")
            .get(pk=series_id)
        )
    except ShiftSeries.DoesNotExist:
        raise NotFound() from None


def lock_shift(shift_id: int) -> Shift:
    """Level 3: one shift row (its organisation is read with it, not locked)."""
    _enter(SHIFTS)
    try:
        return (
            Shift.objects.select_for_update(no_key=True, of=("self",))
            .select_related("organisation")
            .get(pk=shift_id)
        )
    except Shift.DoesNotExist:
        raise NotFound() from None


def lock_claim(claim_id: int) -> Claim:
    """Level 4: one claim row (with its shift and organisation, read, not locked)."""
    _enter(CLAIMS)
    try:
        return (
            Claim.objects.select_for_update(no_key=True, of=("self",))
            .select_related("shift__organisation")
            .get(pk=claim_id)
        )
    except Claim.DoesNotExist:
        raise NotFound() from None


def lock_stand_in(request_id: int) -> StandInRequest:
    """Level 4: one stand-in request; the first acceptance wins, the others find it taken."""
    _enter(CLAIMS)
    try:
        return StandInRequest.objects.select_for_update(no_key=True, of=("self",)).get(
            pk=request_id
        )
    except StandInRequest.DoesNotExist:
        raise NotFound() from None


def lock_swap(swap_id: int) -> SwapRequest:
    """Level 4: one swap request."""
    _enter(CLAIMS)
    try:
        return SwapRequest.objects.select_for_update(no_key=True, of=("self",)).get(pk=swap_id)
    except SwapRequest.DoesNotExist:
        raise NotFound() from None

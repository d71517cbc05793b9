"""Notification rows written by the shift services, inside their own transaction.

Each function is one INSERT (``ON CONFLICT DO NOTHING`` on the unique key), so recording
a notification can neither be lost when the change commits nor happen twice. What the row
becomes (which reminders, whom to tell) is worked out by the worker, which reads the
volunteer's settings then: the claim path stays one INSERT.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypedDict

from backend.notifications.models import Kind, Notification
from backend.shifts.models import Claim, Shift, ShiftChange, StandInRequest, SwapRequest


def _ts(moment: dt.datetime | None) -> str:
    return f"{moment.timestamp():.6f}" if moment is not None else "-"


def _row(
    kind: str,
    key: str,
    shift: Shift,
    claim: Claim,
    now: dt.datetime,
    *,
    to: int | None = None,
    **payload: str,
) -> Notification:
    """A row about ``claim``, for its volunteer or, with ``to``, for someone else (a
    coordinator, a volunteer asked to stand in)."""
    return Notification(
        key=key,
        kind=kind,
        organisation_id=shift.organisation_id,
        user_id=claim.volunteer_id if to is None else to,
        shift_id=shift.pk,
        claim_id=claim.pk,
        shift_starts_at=shift.starts_at,
        scheduled_for=now,
        due_at=now,
        payload=payload,
        created_at=now,
    )


def to_user(
    kind: str, key: str, *, shift: Shift, user_id: int | None, now: dt.datetime, **payload: str
) -> Notification:
    """A row about a shift for one person, without a claim (a broadcast, a help-now offer),
    or for nobody (an internal row the worker acts on): due now; the caller inserts it."""
    return Notification(
        key=key,
        kind=kind,
        organisation_id=shift.organisation_id,
        user_id=user_id,
        shift_id=shift.pk,
        shift_starts_at=shift.starts_at,
        scheduled_for=now,
        due_at=now,
        payload=payload,
        created_at=now,
    )


def _insert(rows: list[Notification]) -> None:
    if rows:
        Notification.objects.bulk_create(rows, ignore_conflicts=True)


def record_shift_published(*, shift: Shift, now: dt.datetime) -> None:
    """One internal ``shift_published`` row per published shift (its key is the shift's: a
    shift is published once). It is the worker's job of suggesting the shift to the volunteers
    who could claim it (``new_shifts.py``: ``shift.suggested`` on their ``ws/v1/me/``
    streams), and the record of when the shift was published, which the weekly digest counts
    from (``digest.py``; the shift has no such field). A rolled-back publication leaves
    nothing."""
    _insert(
        [to_user(Kind.SHIFT_PUBLISHED, f"published:{shift.pk}", shift=shift, user_id=None, now=now)]
    )


def record_claim_confirmed(*, claim: Claim, shift: Shift, now: dt.datetime) -> None:
    """A confirmed claim gets its reminders and follow-up (planned by the worker)."""
    _insert([_row(Kind.PLAN, f"plan:{claim.pk}:{_ts(claim.confirmed_at)}", shift, claim, now)])


def claim_confirmed_row(
    *, claim: Claim, shift: Shift, now: dt.datetime
) -> tuple[Notification, str]:
    """The row ``record_claim_confirmed`` inserts, for a claim not inserted yet: its key is
    ``"plan:" + <the claim's id> + <the suffix returned>`` (the claim path writes both rows in
    one statement, backend/shifts/services/seats.py)."""
    return _row(Kind.PLAN, "", shift, claim, now), f":{_ts(claim.confirmed_at)}"


def record_promotions(*, claims: Iterable[Claim], shift: Shift, now: dt.datetime) -> None:
    """Tell each promoted volunteer at once; their reminders are planned when it is sent."""
    _insert(
        [
            _row(Kind.PROMOTED, f"promoted:{claim.pk}:{_ts(claim.promoted_at)}", shift, claim, now)
            for claim in claims
        ]
    )


def record_shift_moved(
    *, claims: Iterable[Claim], shift: Shift, change: ShiftChange, now: dt.datetime
) -> None:
    """Tell each volunteer of a moved shift; their reminders are planned again at the new
    times when it is sent (the old ones are dropped)."""
    _insert(
        [
            _row(
                Kind.SHIFT_CHANGED,
                f"changed:{claim.pk}:{change.pk}",
                shift,
                claim,
                now,
                old_starts_at=_iso(change.old_starts_at),
                old_ends_at=_iso(change.old_ends_at),
            )
            for claim in claims
        ]
    )


def record_shift_cancelled(*, claims: Iterable[Claim], shift: Shift, now: dt.datetime) -> None:
    _insert(
        [_row(Kind.SHIFT_CANCELLED, f"cancelled:{claim.pk}", shift, claim, now) for claim in claims]
    )


def record_late_cancellation(*, claim: Claim, shift: Shift, now: dt.datetime) -> None:
    """One row; the worker tells each coordinator of the organisation who has Telegram."""
    _insert(
        [
            _row(
                Kind.LATE_CANCELLATION,
                f"late:{claim.pk}:{_ts(claim.cancelled_at)}",
                shift,
                claim,
                now,
            )
        ]
    )


def record_claim_cancelled(*, claim: Claim, shift: Shift, now: dt.datetime) -> None:
    """A coordinator cancelled the volunteer's claim: tell them, with the coordinator's
    reason (the worker writes it in the volunteer's language)."""
    _insert(
        [
            _row(
                Kind.CLAIM_CANCELLED,
                f"claim_cancelled:{claim.pk}:{_ts(claim.cancelled_at)}",
                shift,
                claim,
                now,
                reason=claim.cancellation_reason,
            )
        ]
    )


class _Amounts(TypedDict):
    year: str
    total: str
    cap: str


def record_allowance_warning(
    *,
    claim: Claim,
    shift: Shift,
    coordinator_ids: Iterable[int],
    year: int,
    total: str,
    cap: str,
    now: dt.datetime,
) -> None:
    """The volunteer's flat-rate allowances of ``year`` reached 80 % of the yearly cap: they
    and the organisation's coordinators are told, once a year (the keys)."""
    amounts = _Amounts(year=str(year), total=total, cap=cap)
    rows = [
        _row(
            Kind.ALLOWANCE_WARNING,
            f"allowance:{claim.volunteer_id}:{year}",
            shift,
            claim,
            now,
            **amounts,
        )
    ]
    rows += [
        _row(
            Kind.ALLOWANCE_NOTICE,
            f"allowance:{claim.volunteer_id}:{year}:to:{user_id}",
            shift,
            claim,
            now,
            to=user_id,
            volunteer_id=str(claim.volunteer_id),
            **amounts,
        )
        for user_id in coordinator_ids
    ]
    _insert(rows)


def record_stand_in_asks(
    *, request: StandInRequest, shift: Shift, volunteer_ids: Iterable[int], now: dt.datetime
) -> None:
    """Each volunteer of a wave is asked to take over (Accept / No thanks)."""
    _insert(
        [
            _row(
                Kind.STAND_IN_ASK,
                f"stand_in:{request.pk}:{user_id}",
                shift,
                request.claim,
                now,
                to=user_id,
                request=str(request.pk),
            )
            for user_id in volunteer_ids
        ]
    )


def record_stand_in_found(
    *, request: StandInRequest, claim: Claim, shift: Shift, now: dt.datetime
) -> None:
    """The requester is told who took over their seat."""
    _insert(
        [
            _row(
                Kind.STAND_IN_FOUND,
                f"stand_in_found:{request.pk}",
                shift,
                claim,
                now,
                volunteer_id=str(request.taken_by_id),
            )
        ]
    )


def record_stand_in_unfilled(
    *, request: StandInRequest, shift: Shift, coordinator_ids: Iterable[int], now: dt.datetime
) -> None:
    """Nobody has taken over by 24 hours before the start: each coordinator is told."""
    _insert(
        [
            _row(
                Kind.STAND_IN_UNFILLED,
                f"stand_in_unfilled:{request.pk}:{user_id}",
                shift,
                request.claim,
                now,
                to=user_id,
                volunteer_id=str(request.requester_id),
            )
            for user_id in coordinator_ids
        ]
    )


def record_swap_asks(*, swaps: Iterable[SwapRequest], now: dt.datetime) -> None:
    """Each volunteer offered a swap is asked to confirm it (the offer names the proposer's
    shift; the row is about the partner's own claim)."""
    rows = []
    for swap in swaps:
        claim = swap.partner_claim
        row = _row(
            Kind.SWAP_ASK,
            f"swap:{swap.pk}",
            swap.proposer_claim.shift,
            claim,
            now,
            swap=str(swap.pk),
            volunteer_id=str(swap.proposer_id),
        )
        rows.append(row)
    _insert(rows)


def record_swap_done(*, swap: SwapRequest, claim: Claim, shift: Shift, now: dt.datetime) -> None:
    """The proposer is told the swap is done: ``claim`` is their new claim on ``shift``."""
    _insert(
        [
            _row(
                Kind.SWAP_DONE,
                f"swap_done:{swap.pk}",
                shift,
                claim,
                now,
                volunteer_id=str(swap.partner_id),
            )
        ]
    )


def _iso(moment: dt.datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""

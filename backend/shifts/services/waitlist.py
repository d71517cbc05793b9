"""Promotion from the waitlist, first come first served."""

from __future__ import annotations

from django.utils import timezone

from backend.shifts import locks
from backend.shifts.models import (
    Claim,
    ClaimStatus,
    Shift,
)
from backend.shifts.services.eligibility import Eligibility


def promote_waitlist(shift: Shift) -> list[Claim]:
    """Fill free seats from the waitlist, first come first served. The caller holds the lock.

    A waitlisted volunteer who now overlaps another shift or lacks a qualification is skipped
    (and stays waitlisted).
    """
    promoted: list[Claim] = []
    if shift.confirmed_count >= shift.capacity or shift.waitlist_count == 0:
        return promoted
    now = timezone.now()
    waiting = list(
        Claim.objects.filter(shift=shift, status=ClaimStatus.WAITLISTED).order_by("waitlist_ticket")
    )
    # Each candidate's profile must be locked before judging them: their own claim_create
    # holds it while it checks for overlap and takes a seat elsewhere, and without it both
    # checks could pass on uncommitted data (two overlapping shifts at once). The caller
    # locked the whole waitlist's profiles before the shift (the lock order).
    locked = locks.locked_candidates(c.volunteer_id for c in waiting)
    # The facts for all of them at once, read under those locks.
    eligibility = Eligibility(
        volunteer_ids=[c.volunteer_id for c in waiting if c.volunteer_id in locked],
        shifts=[shift],
    )
    for claim in waiting:
        if shift.confirmed_count >= shift.capacity:
            break
        if claim.volunteer_id not in locked:
            # Joined after the caller locked the waitlist, and reached: start again.
            raise locks.WaitlistMoved()
        # Blocked after no-shows, now overlapping, a qualification expired: skipped, and
        # still waitlisted. Their claim counted towards their limit when it was made.
        if eligibility.error(claim.volunteer_id, shift, new_claim=False) is not None:
            continue
        claim.status = ClaimStatus.CONFIRMED
        claim.waitlist_ticket = None
        claim.confirmed_at = now
        claim.promoted_at = now
        claim.save(
            update_fields=["status", "waitlist_ticket", "confirmed_at", "promoted_at", "updated_at"]
        )
        shift.confirmed_count += 1
        shift.waitlist_count -= 1
        promoted.append(claim)
    if promoted:
        shift.save(update_fields=["confirmed_count", "waitlist_count"])
    return promoted

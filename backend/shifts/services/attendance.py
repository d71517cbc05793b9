"""On the day: check-in, check-out, attendance and no-shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.allowances.services import (
    Completed,
    entry_for_completed_claim,
    warning_crossed,
)
from backend.core.errors import (
    CheckInNotPossible,
    ClaimNotActive,
    NotCheckedIn,
    PermissionDenied,
    ShiftNotEnded,
    ShiftNotStarted,
    ShiftStarted,
    ValidationFailed,
)
from backend.notifications import records as notification_records
from backend.organisations.models import MANAGER_ROLES, Membership
from backend.organisations.selectors import may_manage, require_manager
from backend.shifts import locks
from backend.shifts.locks import transaction_retrying
from backend.shifts.models import (
    Claim,
    ClaimStatus,
)
from backend.shifts.services.publishing import publish_event
from backend.shifts.timing import check_in_open, check_out_open

# A check-out later than this after the shift's end counts as the end plus this: forgotten
# check-outs must not turn into days of volunteering.
CHECK_OUT_GRACE = dt.timedelta(hours=2)


def _minutes(start: dt.datetime, end: dt.datetime) -> int:
    return max(round((end - start).total_seconds() / 60), 0)


@transaction_retrying
def claim_check_in(*, actor: User, claim_id: int) -> Claim:
    """Check a volunteer in: by themself (from shortly before the start until the end) or by a
    coordinator of the organisation (also afterwards, to fix the record). Idempotent."""
    # The claim row lock makes check-in, check-out and no-show marking of one claim queue.
    claim = locks.lock_claim(claim_id)
    shift = claim.shift
    manager = may_manage(user=actor, organisation_id=shift.organisation_id)
    if claim.volunteer_id != actor.pk and not manager:
        raise PermissionDenied()
    if claim.status != ClaimStatus.CONFIRMED:
        raise CheckInNotPossible()
    if claim.checked_in_at is not None:
        return claim
    now = timezone.now()
    if not (check_in_open(shift=shift, now=now) or (manager and now > shift.ends_at)):
        raise CheckInNotPossible()
    claim.checked_in_at = min(now, shift.ends_at)
    claim.save(update_fields=["checked_in_at", "updated_at"])
    publish_event("claim.checked_in", shift, claim, user_ids=[claim.volunteer_id])
    return claim


@transaction_retrying
def claim_check_out(*, actor: User, claim_id: int) -> Claim:
    """Check a volunteer out: the claim is completed with the minutes between check-in and
    check-out (a forgotten check-out counts until the end of the shift plus a grace)."""
    claim = locks.lock_claim(claim_id)
    shift = claim.shift
    if claim.volunteer_id != actor.pk and not may_manage(
        user=actor, organisation_id=shift.organisation_id
    ):
        raise PermissionDenied()
    if claim.status == ClaimStatus.COMPLETED and claim.checked_out_at is not None:
        return claim
    if claim.status != ClaimStatus.CONFIRMED or claim.checked_in_at is None:
        raise NotCheckedIn()
    now = timezone.now()
    if not check_out_open(shift=shift, now=now):
        raise ShiftNotStarted()
    claim.checked_out_at = min(now, shift.ends_at + CHECK_OUT_GRACE)
    claim.status = ClaimStatus.COMPLETED
    claim.minutes_volunteered = _minutes(claim.checked_in_at, claim.checked_out_at)
    claim.save(update_fields=["checked_out_at", "status", "minutes_volunteered", "updated_at"])
    _allowance(claim)
    publish_event("claim.checked_out", shift, claim, user_ids=[claim.volunteer_id])
    return claim


@transaction_retrying
def claim_confirm_attendance(*, actor: User, claim_id: int) -> Claim:
    """A coordinator confirms that the volunteer came: completed, with the shift's times as
    hours (or check-in to check-out when both were recorded). Also corrects a no-show."""
    claim = locks.lock_claim(claim_id)
    shift = claim.shift
    if not may_manage(user=actor, organisation_id=shift.organisation_id):
        raise PermissionDenied()
    if claim.status == ClaimStatus.COMPLETED:
        return claim
    if claim.status not in (ClaimStatus.CONFIRMED, ClaimStatus.NO_SHOW):
        raise ClaimNotActive()
    if shift.starts_at > timezone.now():
        raise ShiftStarted(_("Attendance can be confirmed once the shift has started."))
    if claim.status == ClaimStatus.NO_SHOW:
        _no_show_undo(claim)
    claim.status = ClaimStatus.COMPLETED
    claim.minutes_volunteered = _minutes(shift.starts_at, shift.ends_at)
    claim.save(update_fields=["status", "minutes_volunteered", "updated_at"])
    _allowance(claim)
    publish_event("claim.completed", shift, claim, user_ids=[claim.volunteer_id])
    return claim


@transaction_retrying
def claim_mark_no_show(*, actor: User, claim_id: int) -> Claim:
    """A coordinator marks a confirmed volunteer who did not check in as a no-show, once the
    shift has ended. At the organisation's limit the volunteer's claims are blocked until a
    coordinator clears it (``membership_clear_claim_block``)."""
    claim = locks.lock_claim(claim_id)
    shift = claim.shift
    if not may_manage(user=actor, organisation_id=shift.organisation_id):
        raise PermissionDenied()
    if claim.status == ClaimStatus.NO_SHOW:
        return claim
    if claim.status != ClaimStatus.CONFIRMED:
        raise ClaimNotActive()
    if claim.checked_in_at is not None:
        raise CheckInNotPossible(_("This volunteer checked in; confirm their attendance."))
    now = timezone.now()
    if shift.ends_at > now:
        raise ShiftNotEnded()
    claim.status = ClaimStatus.NO_SHOW
    claim.minutes_volunteered = None
    claim.save(update_fields=["status", "minutes_volunteered", "updated_at"])
    # One conditional UPDATE, not a lock then a write: two no-shows marked at once both
    # count, and the membership row is only written, last, as in every transaction.
    limit = shift.organisation.no_show_limit
    changes: dict[str, Any] = {"no_show_count": F("no_show_count") + 1}
    if limit:
        # The condition reads the row as it was: this no-show makes it reach the limit.
        changes["claims_blocked_at"] = Case(
            When(claims_blocked_at__isnull=True, no_show_count__gte=limit - 1, then=Value(now)),
            default=F("claims_blocked_at"),
        )
    Membership.objects.filter(
        user_id=claim.volunteer_id, organisation_id=shift.organisation_id
    ).update(**changes)
    publish_event("claim.no_show", shift, claim, user_ids=[claim.volunteer_id])
    return claim


def _allowance(claim: Claim) -> None:
    """A completed claim earns the organisation's flat-rate allowance, within the legal caps
    (backend/allowances/services.py; its ledger lock comes after the claim's)."""
    shift = claim.shift
    entry = entry_for_completed_claim(
        Completed(
            claim_id=claim.pk,
            volunteer_id=claim.volunteer_id,
            organisation=shift.organisation,
            starts_at=shift.starts_at,
            allowance_category=shift.allowance_category,
        )
    )
    totals = warning_crossed(entry) if entry is not None else None
    if totals is not None and totals.cap is not None:
        # At 80 % of the yearly cap: the volunteer and the coordinators are told, once.
        notification_records.record_allowance_warning(
            claim=claim,
            shift=shift,
            coordinator_ids=Membership.objects.filter(
                organisation_id=shift.organisation_id, role__in=MANAGER_ROLES
            ).values_list("user_id", flat=True),
            year=totals.year,
            total=f"{totals.flat_rate:.2f}",
            cap=f"{totals.cap.yearly:.2f}",
            now=timezone.now(),
        )


def _no_show_undo(claim: Claim) -> None:
    """A no-show that was a mistake no longer counts (the block stays until cleared)."""
    Membership.objects.filter(
        user_id=claim.volunteer_id,
        organisation_id=claim.shift.organisation_id,
        no_show_count__gt=0,
    ).update(no_show_count=F("no_show_count") - 1)


@transaction_retrying
def shift_record_attendance(
    *, actor: User, shift_id: int, absent_claim_ids: Iterable[int] = ()
) -> list[Claim]:
    """After a shift, in one go: the listed volunteers are no-shows, every other confirmed
    volunteer came (completed with the shift's hours, or check-in to check-out)."""
    shift = locks.lock_shift(shift_id)
    require_manager(user=actor, organisation_id=shift.organisation_id)
    if shift.ends_at > timezone.now():
        raise ShiftNotEnded()
    absent = set(absent_claim_ids)
    open_claims = list(
        Claim.objects.filter(shift=shift, status=ClaimStatus.CONFIRMED).values_list("pk", flat=True)
    )
    unknown = absent - set(open_claims)
    if unknown:
        raise ValidationFailed(
            fields={"absent": [_("Only confirmed claims on this shift can be no-shows.")]}
        )
    return [
        claim_mark_no_show(actor=actor, claim_id=claim_id)
        if claim_id in absent
        else claim_confirm_attendance(actor=actor, claim_id=claim_id)
        for claim_id in open_claims
    ]

"""Claiming a seat (or a place on the waitlist) and cancelling a claim."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, router
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.accounts.services import profile_ensure
from backend.core.compiled import CompiledQuery, Placeholder
from backend.core.errors import (
    ClaimNotActive,
    ClaimsNotOpen,
    NotFound,
    PermissionDenied,
    ShiftFull,
    ShiftNotOpen,
    ShiftStarted,
)
from backend.notifications import records as notification_records
from backend.organisations.models import (
    Membership,
)
from backend.organisations.selectors import may_manage
from backend.shifts import locks
from backend.shifts.locks import transaction_retrying
from backend.shifts.models import (
    ACTIVE_CLAIM_STATUSES,
    Claim,
    ClaimStatus,
    Shift,
    ShiftStatus,
)
from backend.shifts.services.eligibility import (
    Facts,
    eligibility_error,
    membership_error,
    overlapping_claims,
    qualified_for,
)
from backend.shifts.services.publishing import publish_event
from backend.shifts.services.waitlist import promote_waitlist
from realtime.events import EventType


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    created: bool


def claim_create(*, volunteer: User, shift_id: int) -> ClaimResult:
    """Claim a seat on a shift: confirmed while seats remain, else waitlisted or refused.

    Idempotent: claiming a shift one already holds returns that claim with ``created=False``.
    """
    try:
        return _claim_create(volunteer, shift_id)
    except IntegrityError:
        # Only the unique (shift, volunteer) constraint can fail here, when the same person's
        # claim was inserted by a request that had not committed when we looked. Their claim
        # exists now; the second attempt returns it.
        return _claim_create(volunteer, shift_id)


def _claim_read(volunteer_id: int, shift_id: int, now: dt.datetime) -> QuerySet[Shift]:
    """The shift, annotated with everything claim_create checks about this volunteer, in one
    query: their existing claim, membership (and whether no-shows blocked it), overlap,
    upcoming claims and how many qualifications the shift requires."""
    mine = Claim.objects.filter(shift_id=OuterRef("pk"), volunteer_id=volunteer_id)
    upcoming = (
        Claim.objects.filter(
            volunteer_id=volunteer_id, status__in=ACTIVE_CLAIM_STATUSES, shift__ends_at__gt=now
        )
        .values("volunteer_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    required = (
        # django-stubs doesn't see the annotation `n` on the auto-created through model.
        Shift.required_qualifications.through.objects.filter(  # type: ignore[misc]
            shift_id=OuterRef("pk")
        )
        .values("shift_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    member = Membership.objects.filter(
        user_id=volunteer_id, organisation_id=OuterRef("organisation_id")
    )
    return (
        Shift.objects.select_related("organisation")
        .annotate(
            my_claim_id=Subquery(mine.values("pk")[:1]),
            my_claim_status=Subquery(mine.values("status")[:1]),
            is_member=Exists(member),
            claims_blocked=Exists(member.filter(claims_blocked_at__isnull=False)),
            overlapping=Exists(overlapping_claims(volunteer_id, OuterRef("pk"))),
            upcoming=Coalesce(Subquery(upcoming), 0),
            required_count=Coalesce(Subquery(required), 0),
        )
        .filter(pk=shift_id)
    )


# The hottest read of the API: built and compiled by the ORM once per process (a few ms of
# Python per claim otherwise), run with each claim's values (backend/core/compiled.py).
_CLAIM_READ = CompiledQuery(
    _claim_read,
    Placeholder("volunteer_id", -914_736_251),
    Placeholder("shift_id", -837_162_549),
    Placeholder("now", dt.datetime(1901, 2, 3, 4, 5, 6, 789_012, tzinfo=dt.UTC)),
)


def _shift_for_claim(volunteer_id: int, shift_id: int, now: dt.datetime) -> Shift:
    shift = _CLAIM_READ.first(
        using=router.db_for_read(Shift), volunteer_id=volunteer_id, shift_id=shift_id, now=now
    )
    if shift is None:
        raise NotFound()
    return shift


@transaction_retrying
def _claim_create(volunteer: User, shift_id: int) -> ClaimResult:
    now = timezone.now()
    # Lock the volunteer's profile: one volunteer's claims then run one at a time, so the
    # overlap and upcoming-claims checks below can't be raced by their own parallel requests.
    if not locks.lock_profile(volunteer.pk):
        profile_ensure(user=volunteer)
        locks.lock_profile(volunteer.pk)
    shift = _shift_for_claim(volunteer.pk, shift_id, now)
    existing: Claim | None = None
    if shift.my_claim_id is not None:  # type: ignore[attr-defined]
        existing = Claim.objects.get(pk=shift.my_claim_id)  # type: ignore[attr-defined]
        existing.shift = shift
        if existing.status in ACTIVE_CLAIM_STATUSES:
            return ClaimResult(existing, created=False)
    is_member: bool = shift.is_member  # type: ignore[attr-defined]
    if shift.status == ShiftStatus.DRAFT and not may_manage(
        user=volunteer, organisation_id=shift.organisation_id
    ):
        # Only its coordinators know a draft exists: for anyone else it is not there, as
        # when they try to read it.
        raise NotFound()
    # Before any other check, so outsiders learn nothing about the shift's state.
    if (outsider := membership_error(shift, is_member=is_member)) is not None:
        raise outsider
    if shift.status != ShiftStatus.PUBLISHED:
        raise ShiftNotOpen()
    if shift.starts_at <= now:
        raise ShiftStarted()
    if shift.claims_open_at is not None and now < shift.claims_open_at:
        opens = shift.claims_open_at.astimezone(ZoneInfo(shift.organisation.time_zone))
        raise ClaimsNotOpen(
            _("Claims for this shift open on %(when)s.") % {"when": f"{opens:%Y-%m-%d %H:%M}"}
        )
    required_count: int = shift.required_count  # type: ignore[attr-defined]
    facts = Facts(
        is_member=is_member,
        claims_blocked=shift.claims_blocked,  # type: ignore[attr-defined]
        qualified=not required_count
        or qualified_for(volunteer.pk, shift, required_count=required_count),
        overlapping=shift.overlapping,  # type: ignore[attr-defined]
        upcoming=shift.upcoming,  # type: ignore[attr-defined]
    )
    if (refused := eligibility_error(shift, facts)) is not None:
        raise refused

    status: str
    ticket: int | None = None
    if (counts := _take_seat(shift.pk)) is not None:
        status = ClaimStatus.CONFIRMED
    elif (taken := _take_ticket(shift.pk)) is not None:
        status, ticket, counts = ClaimStatus.WAITLISTED, taken[2], (taken[0], taken[1])
    else:
        # Neither a seat nor a ticket: the shift closed, its waitlist is off, or a seat was
        # freed between the two updates. Lock the shift for a stable answer.
        locked = locks.lock_shift(shift.pk)
        if locked.status != ShiftStatus.PUBLISHED:
            raise ShiftNotOpen()
        if (counts := _take_seat(shift.pk)) is not None:
            status = ClaimStatus.CONFIRMED
        elif not locked.waitlist_enabled:
            raise ShiftFull()
        else:
            # Published, full and with a waitlist, and we hold the lock: this cannot miss.
            taken = _take_ticket(shift.pk)
            assert taken is not None
            status, ticket, counts = ClaimStatus.WAITLISTED, taken[2], (taken[0], taken[1])
    shift.confirmed_count, shift.waitlist_count = counts

    # A public shift claimed by a non-member does not make them a member: they see that
    # shift (their claim), and nothing else of the organisation (members-only shifts, its
    # calendar feed, its broadcasts). Joining is an invite's job.
    claim = existing or Claim(shift=shift, volunteer=volunteer)
    claim.status = status
    claim.waitlist_ticket = ticket
    claim.confirmed_at = now if status == ClaimStatus.CONFIRMED else None
    claim.cancelled_at = None
    claim.promoted_at = None
    claim.late_cancellation = False
    claim.cancelled_by_shift = False
    claim.save()
    if status == ClaimStatus.CONFIRMED:
        # The one extra INSERT of the claim path: reminders are planned by the worker.
        notification_records.record_claim_confirmed(claim=claim, shift=shift, now=now)
    event: EventType = "claim.confirmed" if status == ClaimStatus.CONFIRMED else "claim.waitlisted"
    publish_event(event, shift, claim, user_ids=[volunteer.pk])
    return ClaimResult(claim, created=True)


def _take_seat(shift_id: int) -> tuple[int, int] | None:
    """Take one seat if one is free; return the new (confirmed, waitlist) counts, else None.

    One conditional UPDATE: the row lock it takes makes concurrent takers queue, and each
    re-checks ``confirmed_count < capacity`` on the row as the one before left it, so the
    counter can never pass the capacity. RETURNING (PostgreSQL, SQLite >= 3.35) saves the
    query that would read the new counts back.
    """
    table = Shift._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET confirmed_count = confirmed_count + 1 "
            "WHERE id = %s AND status = %s AND confirmed_count < capacity "
            "RETURNING confirmed_count, waitlist_count",
            [shift_id, ShiftStatus.PUBLISHED.value],
        )
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def _take_ticket(shift_id: int) -> tuple[int, int, int] | None:
    """Take the next waitlist ticket if the shift is published, full and has a waitlist;
    return the (confirmed, waitlist) counts and the ticket, else None.

    Like :func:`_take_seat`, one conditional UPDATE: tickets are handed out one at a time by
    the row lock, and a seat freed meanwhile makes it miss (the caller then takes the seat).
    """
    table = Shift._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET waitlist_seq = waitlist_seq + 1, "
            "waitlist_count = waitlist_count + 1 "
            "WHERE id = %s AND status = %s AND waitlist_enabled AND confirmed_count >= capacity "
            "RETURNING confirmed_count, waitlist_count, waitlist_seq",
            [shift_id, ShiftStatus.PUBLISHED.value],
        )
        row = cursor.fetchone()
    return (row[0], row[1], row[2]) if row else None


def cancellation_is_late(*, shift: Shift, now: dt.datetime) -> bool:
    """Whether cancelling a confirmed claim on ``shift`` now is past its deadline (it is still
    allowed, but flagged, and volunteers are warned before they confirm)."""
    return now > shift.starts_at - dt.timedelta(hours=shift.cancellation_deadline_hours)


@transaction_retrying
def claim_cancel(*, actor: User, claim_id: int) -> Claim:
    """Cancel a claim. A freed seat goes to the first eligible waitlisted volunteer.

    The volunteer themself or a coordinator of the organisation may cancel. Cancelling after
    the shift's cancellation deadline still works, and is flagged as late.
    """
    try:
        shift_id, owner_id = Claim.objects.values_list("shift_id", "volunteer_id").get(pk=claim_id)
    except Claim.DoesNotExist:
        raise NotFound() from None
    # Lock the shift before touching the claim: releasing the seat and giving it to the next
    # in line must be one step, or a newcomer could take the seat ahead of the waitlist. The
    # waitlisted volunteers' profiles come first in the lock order: promotion judges them.
    locks.lock_waitlists([shift_id])
    shift = locks.lock_shift(shift_id)
    if owner_id != actor.pk and not may_manage(user=actor, organisation_id=shift.organisation_id):
        raise PermissionDenied()
    claim = Claim.objects.get(pk=claim_id)
    if claim.status == ClaimStatus.CANCELLED:
        return claim
    if claim.status not in ACTIVE_CLAIM_STATUSES:
        raise ClaimNotActive()
    now = timezone.now()
    if shift.starts_at <= now:
        raise ShiftStarted()
    was_confirmed = claim.status == ClaimStatus.CONFIRMED
    claim.status = ClaimStatus.CANCELLED
    claim.cancelled_at = now
    claim.waitlist_ticket = None
    claim.late_cancellation = was_confirmed and cancellation_is_late(shift=shift, now=now)
    claim.save(
        update_fields=[
            "status",
            "cancelled_at",
            "waitlist_ticket",
            "late_cancellation",
            "updated_at",
        ]
    )
    if was_confirmed:
        shift.confirmed_count -= 1
    else:
        shift.waitlist_count -= 1
    shift.save(update_fields=["confirmed_count", "waitlist_count"])
    promoted = promote_waitlist(shift) if was_confirmed else []
    if claim.late_cancellation:
        notification_records.record_late_cancellation(claim=claim, shift=shift, now=now)
    notification_records.record_promotions(claims=promoted, shift=shift, now=now)
    claim.shift = shift
    publish_event("claim.cancelled", shift, claim, user_ids=[claim.volunteer_id])
    for other in promoted:
        publish_event("claim.promoted", shift, other, user_ids=[other.volunteer_id])
    return claim

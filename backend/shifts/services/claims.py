"""Claiming a seat (or a place on the waitlist) and cancelling a claim."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import IntegrityError, router
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backend.accounts.models import User, VolunteerProfile
from backend.accounts.services import profile_ensure
from backend.core.compiled import CompiledQuery, Placeholder
from backend.core.errors import (
    ClaimNotActive,
    ClaimsNotOpen,
    InfoNoteRequired,
    NotFound,
    PermissionDenied,
    ShiftFull,
    ShiftNotOpen,
    ShiftStarted,
    ValidationFailed,
)
from backend.notifications import records as notification_records
from backend.organisations.models import InfoNoteAcknowledgement, Membership
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
from backend.shifts.services import seats
from backend.shifts.services.eligibility import (
    Facts,
    eligibility_error,
    membership_error,
    overlapping_claims,
    qualified_for,
)
from backend.shifts.services.publishing import publish_event
from backend.shifts.services.stand_ins import close_stand_ins
from backend.shifts.services.swaps import close_swaps
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
    upcoming claims, how many qualifications the shift requires, their date of birth and
    whether they acknowledged the organisation's information note."""
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
    profile = VolunteerProfile.objects.filter(user_id=volunteer_id)
    acknowledged = InfoNoteAcknowledgement.objects.filter(
        user_id=volunteer_id,
        organisation_id=OuterRef("organisation_id"),
        version__gte=OuterRef("organisation__info_note_version"),
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
            birth_date=Subquery(profile.values("birth_date")[:1]),
            school_attestation=Subquery(profile.values("school_attestation")[:1]),
            note_acknowledged=Exists(acknowledged),
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


@dataclass(frozen=True)
class ClaimRead:
    """What the claim read returns: the shift (with its organisation) and, typed, what it
    found about this volunteer (the annotations of ``_claim_read``)."""

    shift: Shift
    my_claim_id: int | None
    my_claim_status: str | None
    is_member: bool
    claims_blocked: bool
    overlapping: bool
    upcoming: int
    required_count: int
    birth_date: dt.date | None
    school_attestation: bool
    note_acknowledged: bool

    @classmethod
    def of(cls, shift: Shift) -> ClaimRead:
        found = vars(shift)
        return cls(
            shift=shift,
            my_claim_id=found["my_claim_id"],
            my_claim_status=found["my_claim_status"],
            is_member=found["is_member"],
            claims_blocked=found["claims_blocked"],
            overlapping=found["overlapping"],
            upcoming=found["upcoming"],
            required_count=found["required_count"],
            birth_date=found["birth_date"],
            school_attestation=bool(found["school_attestation"]),
            note_acknowledged=found["note_acknowledged"],
        )


def prepare_claim_path() -> None:
    """Build and compile the claim read now (at app start, see ShiftsConfig.ready) rather than
    in the first claim of each process. It needs no database connection."""
    _CLAIM_READ.prepare()


def _read_for_claim(volunteer_id: int, shift_id: int, now: dt.datetime) -> ClaimRead:
    shift = _CLAIM_READ.first(
        using=router.db_for_read(Shift), volunteer_id=volunteer_id, shift_id=shift_id, now=now
    )
    if shift is None:
        raise NotFound()
    return ClaimRead.of(shift)


@transaction_retrying
def _claim_create(volunteer: User, shift_id: int) -> ClaimResult:
    now = timezone.now()
    # Lock the volunteer's profile: one volunteer's claims then run one at a time, so the
    # overlap and upcoming-claims checks below can't be raced by their own parallel requests.
    if not locks.lock_profile(volunteer.pk):
        profile_ensure(user=volunteer)
        locks.lock_profile(volunteer.pk)
    read = _read_for_claim(volunteer.pk, shift_id, now)
    shift = read.shift
    existing: Claim | None = None
    if read.my_claim_id is not None:
        existing = Claim.objects.get(pk=read.my_claim_id)
        existing.shift = shift
        if existing.status in ACTIVE_CLAIM_STATUSES:
            return ClaimResult(existing, created=False)
    if shift.status == ShiftStatus.DRAFT and not may_manage(
        user=volunteer, organisation_id=shift.organisation_id
    ):
        # Only its coordinators know a draft exists: for anyone else it is not there, as
        # when they try to read it.
        raise NotFound()
    # Before any other check, so outsiders learn nothing about the shift's state.
    if (outsider := membership_error(shift, is_member=read.is_member)) is not None:
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
    facts = Facts(
        is_member=read.is_member,
        claims_blocked=read.claims_blocked,
        qualified=not read.required_count
        or qualified_for(volunteer.pk, shift, required_count=read.required_count),
        overlapping=read.overlapping,
        upcoming=read.upcoming,
        birth_date=read.birth_date,
        school_attestation=read.school_attestation,
    )
    if (refused := eligibility_error(shift, facts)) is not None:
        raise refused
    # Belgian volunteer law: the information note before the first shift, again after a
    # material change. Waitlisted claims promoted later were made after it.
    if shift.organisation.info_note_version is not None and not read.note_acknowledged:
        raise InfoNoteRequired()

    # A public shift claimed by a non-member does not make them a member: they see that
    # shift (their claim), and nothing else of the organisation (members-only shifts, its
    # calendar feed, its broadcasts). Joining is an invite's job.
    claim = existing or Claim(shift=shift, volunteer=volunteer)
    claim.cancelled_at = None
    claim.promoted_at = None
    claim.late_cancellation = False
    claim.cancelled_by_shift = False
    claim.cancelled_by = None
    claim.cancellation_reason = ""
    if existing is None:
        # PostgreSQL: the seat (or ticket), the claim and its notification in one statement.
        status, counts = _hold(
            shift,
            lambda waitlisted: seats.claim_write(
                claim=claim, shift=shift, waitlisted=waitlisted, now=now
            ),
        )
    else:
        # Claiming again after a cancellation: the claim's row exists, it is updated.
        status, counts = _hold(
            shift,
            lambda waitlisted: (
                seats.take_ticket(shift.pk) if waitlisted else seats.take_seat(shift.pk)
            ),
        )
        claim.status = status
        claim.waitlist_ticket = counts.ticket
        claim.confirmed_at = now if status == ClaimStatus.CONFIRMED else None
        claim.save()
        if status == ClaimStatus.CONFIRMED:
            notification_records.record_claim_confirmed(claim=claim, shift=shift, now=now)
    shift.confirmed_count, shift.waitlist_count = counts.confirmed, counts.waitlisted
    event: EventType = "claim.confirmed" if status == ClaimStatus.CONFIRMED else "claim.waitlisted"
    publish_event(event, shift, claim, user_ids=[volunteer.pk])
    return ClaimResult(claim, created=True)


def _hold(shift: Shift, take: Callable[[bool], seats.Counts | None]) -> tuple[str, seats.Counts]:
    """A seat if one is free, else a waitlist ticket, else the refusal; ``take(waitlisted)``
    takes one (see backend/shifts/services/seats.py) or returns None."""
    if (counts := take(False)) is not None:
        return ClaimStatus.CONFIRMED, counts
    if (counts := take(True)) is not None:
        return ClaimStatus.WAITLISTED, counts
    # Neither a seat nor a ticket: the shift closed, its waitlist is off, or a seat was freed
    # between the two updates. Lock the shift for a stable answer.
    locked = locks.lock_shift(shift.pk)
    if locked.status != ShiftStatus.PUBLISHED:
        raise ShiftNotOpen()
    if (counts := take(False)) is not None:
        return ClaimStatus.CONFIRMED, counts
    if not locked.waitlist_enabled:
        raise ShiftFull()
    # Published, full and with a waitlist, and we hold the lock: this cannot miss.
    counts = take(True)
    assert counts is not None
    return ClaimStatus.WAITLISTED, counts


def cancellation_is_late(*, shift: Shift, now: dt.datetime) -> bool:
    """Whether cancelling a confirmed claim on ``shift`` now is past its deadline (it is still
    allowed, but flagged, and volunteers are warned before they confirm)."""
    return now > shift.starts_at - dt.timedelta(hours=shift.cancellation_deadline_hours)


# What a coordinator may tell the volunteer whose claim they cancel (it goes out in a message).
MAX_CANCELLATION_REASON = 500


@transaction_retrying
def claim_cancel(*, actor: User, claim_id: int, reason: str = "") -> Claim:
    """Cancel a claim. A freed seat goes to the first eligible waitlisted volunteer.

    The volunteer themself or a coordinator of the organisation may cancel. Cancelling after
    the shift's cancellation deadline still works, and is flagged as late. When a coordinator
    cancels someone else's claim, who did it and ``reason`` are kept, the volunteer is told
    (with the reason, in their language), and it is never late against them: it was not
    their choice.
    """
    reason = reason.strip()
    if len(reason) > MAX_CANCELLATION_REASON:
        raise ValidationFailed(
            fields={
                "reason": [
                    ngettext(
                        "Keep the reason to at most %(count)s character.",
                        "Keep the reason to at most %(count)s characters.",
                        MAX_CANCELLATION_REASON,
                    )
                    % {"count": MAX_CANCELLATION_REASON}
                ]
            }
        )
    try:
        shift_id, owner_id = Claim.objects.values_list("shift_id", "volunteer_id").get(pk=claim_id)
    except Claim.DoesNotExist:
        raise NotFound() from None
    # Lock the shift before touching the claim: releasing the seat and giving it to the next
    # in line must be one step, or a newcomer could take the seat ahead of the waitlist. The
    # waitlisted volunteers' profiles come first in the lock order: promotion judges them.
    locks.lock_waitlists([shift_id])
    shift = locks.lock_shift(shift_id)
    by_coordinator = owner_id != actor.pk
    if by_coordinator and not may_manage(user=actor, organisation_id=shift.organisation_id):
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
    claim.late_cancellation = (
        was_confirmed and not by_coordinator and cancellation_is_late(shift=shift, now=now)
    )
    # Set on every cancellation, so a claim taken again and then cancelled by the volunteer
    # does not keep an earlier coordinator's name and reason.
    claim.cancelled_by = actor if by_coordinator else None
    claim.cancellation_reason = reason if by_coordinator else ""
    claim.save(
        update_fields=[
            "status",
            "cancelled_at",
            "waitlist_ticket",
            "late_cancellation",
            "cancelled_by",
            "cancellation_reason",
            "updated_at",
        ]
    )
    if was_confirmed:
        shift.confirmed_count -= 1
    else:
        shift.waitlist_count -= 1
    shift.save(update_fields=["confirmed_count", "waitlist_count"])
    promoted = promote_waitlist(shift) if was_confirmed else []
    close_stand_ins(claim_ids=[claim.pk], now=now)
    close_swaps(claim_ids=[claim.pk], now=now)
    if claim.late_cancellation:
        notification_records.record_late_cancellation(claim=claim, shift=shift, now=now)
    if by_coordinator:
        notification_records.record_claim_cancelled(claim=claim, shift=shift, now=now)
    notification_records.record_promotions(claims=promoted, shift=shift, now=now)
    claim.shift = shift
    publish_event("claim.cancelled", shift, claim, user_ids=[claim.volunteer_id])
    for other in promoted:
        publish_event("claim.promoted", shift, other, user_ids=[other.volunteer_id])
    return claim

"""Stand-ins: a volunteer who cannot come asks someone else to take over their seat.

The rules:

- The volunteer with a confirmed claim asks (``stand_in_ask``) until the organisation's
  ``stand_in_deadline_hours`` before the start (72 by default); after it, the normal
  cancellation applies (``stand_in_too_late``). They keep the seat, and stay responsible for
  it, until someone accepts; they may withdraw the request (``stand_in_withdraw``).
- Volunteers are asked in waves (``STAND_IN_WAVE_SIZE``, 5 by default): first those on the
  shift's waitlist (in waitlist order), then the others who could claim it, least recently
  asked (for any request) first. Who may be asked: a member of the organisation (or, for a
  public shift, someone who took one of its public shifts before), eligible as for a claim
  (``Eligibility``: qualifications valid on the date, no overlap, the upcoming-claims limit,
  no block, old enough), who acknowledged the current information note, has not switched
  stand-in requests off and was not asked for this request before. The next wave goes out
  ``STAND_IN_WAVE_INTERVAL`` (2 hours) after the last one, or as soon as everybody in it has
  said no thanks (``stand_in_waves_send``, run by the worker).
- The first acceptance wins (``stand_in_accept``): in one transaction, under the shift's row
  lock, the requester's claim is cancelled (not late: it was handed over) and the stand-in's
  claim confirmed; the seat count does not change. A later acceptance gets ``stand_in_taken``.
  The requester is told; the boards see the two claims change.
- Nobody by 24 hours before the start: the organisation's coordinators are told once
  (``stand_in_alerts_send``); the request stays open until the shift starts.
- Cancelling the claim, or the shift, closes its request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User, VolunteerProfile
from backend.core.errors import (
    ClaimNotActive,
    InfoNoteRequired,
    NotFound,
    ShiftStarted,
    StandInClosed,
    StandInTaken,
    StandInTooLate,
)
from backend.notifications import records as notification_records
from backend.organisations.models import MANAGER_ROLES, InfoNoteAcknowledgement, Membership
from backend.shifts import locks
from backend.shifts.locks import transaction_retrying
from backend.shifts.models import (
    Claim,
    ClaimStatus,
    Shift,
    ShiftStatus,
    ShiftVisibility,
    StandInAnswer,
    StandInAsk,
    StandInRequest,
    StandInStatus,
)
from backend.shifts.services.eligibility import Eligibility
from backend.shifts.services.publishing import publish_event

# How long before the start the coordinators hear that nobody has taken over yet.
UNFILLED_ALERT_BEFORE = dt.timedelta(hours=24)
# Candidates judged at a time while looking for a wave (bounded work per wave).
_CANDIDATE_CHUNK = 200


def wave_size() -> int:
    return int(getattr(settings, "INZET_STAND_IN_WAVE_SIZE", 5))


def wave_interval() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "INZET_STAND_IN_WAVE_HOURS", 2)))


def stand_in_deadline(shift: Shift) -> dt.datetime:
    """Until when a stand-in may be asked for on ``shift`` (its organisation loaded)."""
    return shift.starts_at - dt.timedelta(hours=shift.organisation.stand_in_deadline_hours)


@dataclass(frozen=True)
class HandOverOptions:
    """What a volunteer can do about a claim instead of cancelling it (the adapters offer
    these buttons; the services judge again when one is pressed)."""

    # Ask for a stand-in: confirmed, published, before the deadline, none open.
    can_ask: bool
    # A request is open: it can be withdrawn.
    asking: bool
    # Propose a swap: confirmed, published, not started.
    can_swap: bool


def hand_over_options(claim: Claim, *, now: dt.datetime) -> HandOverOptions:
    """``claim`` with its shift and organisation loaded; one query when it is confirmed."""
    shift = claim.shift
    holds = (
        claim.status == ClaimStatus.CONFIRMED
        and shift.status == ShiftStatus.PUBLISHED
        and shift.starts_at > now
    )
    asking = holds and open_stand_in(claim.pk) is not None
    return HandOverOptions(
        can_ask=holds and not asking and now <= stand_in_deadline(shift),
        asking=asking,
        can_swap=holds,
    )


@transaction_retrying
def stand_in_ask(*, actor: User, claim_id: int) -> StandInRequest:
    """Ask for a stand-in for the actor's confirmed claim; the first wave is asked at once.
    Asking again while a request is open returns that request."""
    shift_id = (
        Claim.objects.filter(pk=claim_id, volunteer_id=actor.pk)
        .values_list("shift_id", flat=True)
        .first()
    )
    if shift_id is None:
        raise NotFound()
    locks.lock_profiles([actor.pk])
    shift = locks.lock_shift(shift_id)
    claim = Claim.objects.get(pk=claim_id)
    if claim.status != ClaimStatus.CONFIRMED or shift.status != ShiftStatus.PUBLISHED:
        raise ClaimNotActive()
    now = timezone.now()
    if shift.starts_at <= now:
        raise ShiftStarted()
    open_request = StandInRequest.objects.filter(claim=claim, status=StandInStatus.OPEN).first()
    if open_request is not None:
        return open_request
    if now > stand_in_deadline(shift):
        raise StandInTooLate()
    request = StandInRequest.objects.create(
        claim=claim, shift=shift, requester=actor, created_at=now, next_wave_at=now
    )
    _ask_wave(request, shift, now)
    return request


@transaction_retrying
def stand_in_withdraw(*, actor: User, claim_id: int) -> StandInRequest:
    """The requester no longer needs a stand-in (they can come after all)."""
    request = (
        StandInRequest.objects.filter(claim_id=claim_id, requester_id=actor.pk)
        .order_by("-id")
        .first()
    )
    if request is None:
        raise NotFound()
    request = locks.lock_stand_in(request.pk)
    if request.status == StandInStatus.OPEN:
        request.status = StandInStatus.WITHDRAWN
        request.resolved_at = timezone.now()
        request.next_wave_at = None
        request.save(update_fields=["status", "resolved_at", "next_wave_at"])
    elif request.status == StandInStatus.TAKEN:
        raise StandInTaken(_("Someone has already taken over this shift from you."))
    return request


def _asked(actor: User, request_id: int) -> StandInAsk:
    ask = StandInAsk.objects.filter(request_id=request_id, volunteer_id=actor.pk).first()
    if ask is None:
        # Only those asked may answer; to anyone else the request does not exist.
        raise NotFound()
    return ask


@transaction_retrying
def stand_in_accept(*, actor: User, request_id: int) -> Claim:
    """Take over the requester's seat: their claim is cancelled and the actor's confirmed, in
    one transaction. The first acceptance wins; a later one gets ``stand_in_taken`` (the
    winner accepting again gets their claim)."""
    ask = _asked(actor, request_id)
    shift_id, requester_id = StandInRequest.objects.values_list("shift_id", "requester_id").get(
        pk=request_id
    )
    # Both volunteers' claims change: their profiles first (level 1), then the shift, whose
    # row lock orders every change of its seats, then the request.
    locks.lock_profiles([actor.pk, requester_id])
    shift = locks.lock_shift(shift_id)
    request = locks.lock_stand_in(request_id)
    if request.status == StandInStatus.TAKEN:
        if request.taken_by_id == actor.pk and request.taken_claim_id is not None:
            # Pressed twice: it is theirs already.
            return Claim.objects.get(pk=request.taken_claim_id)
        raise StandInTaken()
    if request.status != StandInStatus.OPEN or shift.status != ShiftStatus.PUBLISHED:
        raise StandInClosed()
    now = timezone.now()
    if shift.starts_at <= now:
        raise ShiftStarted()
    given = Claim.objects.get(pk=request.claim_id)
    if given.status != ClaimStatus.CONFIRMED:
        raise StandInClosed()
    mine = Claim.objects.filter(shift=shift, volunteer_id=actor.pk).first()
    if mine is not None and mine.status == ClaimStatus.CONFIRMED:
        raise StandInClosed(_("You already have a place on this shift."))
    waitlisted = mine is not None and mine.status == ClaimStatus.WAITLISTED
    # Judged like a claim (a waitlisted claim counted towards the limit when it was made).
    refused = Eligibility(volunteer_ids=[actor.pk], shifts=[shift], now=now).error(
        actor.pk, shift, new_claim=not waitlisted
    )
    if refused is not None:
        raise refused
    if (
        shift.organisation.info_note_version is not None
        and not _acknowledged(actor.pk, shift).exists()
    ):
        raise InfoNoteRequired()

    hand_over(given, now=now)
    taken = confirm_claim_row(mine, shift=shift, volunteer_id=actor.pk, now=now)
    if waitlisted:
        shift.waitlist_count -= 1
        shift.save(update_fields=["waitlist_count"])
    request.status = StandInStatus.TAKEN
    request.taken_by = actor
    request.taken_claim = taken
    request.resolved_at = now
    request.next_wave_at = None
    request.save(update_fields=["status", "taken_by", "taken_claim", "resolved_at", "next_wave_at"])
    StandInAsk.objects.filter(pk=ask.pk).update(answer=StandInAnswer.ACCEPTED, answered_at=now)
    notification_records.record_claim_confirmed(claim=taken, shift=shift, now=now)
    notification_records.record_stand_in_found(request=request, claim=given, shift=shift, now=now)
    given.shift = taken.shift = shift
    publish_event("claim.cancelled", shift, given, user_ids=[requester_id])
    publish_event("claim.confirmed", shift, taken, user_ids=[actor.pk])
    return taken


def hand_over(claim: Claim, *, now: dt.datetime) -> None:
    """A confirmed claim given to someone else (a stand-in or a swap): cancelled, never late
    and never a coordinator's doing. The caller holds the shift's lock and moves the seat."""
    claim.status = ClaimStatus.CANCELLED
    claim.cancelled_at = now
    claim.late_cancellation = False
    claim.cancelled_by = None
    claim.cancellation_reason = ""
    claim.save(
        update_fields=[
            "status",
            "cancelled_at",
            "late_cancellation",
            "cancelled_by",
            "cancellation_reason",
            "updated_at",
        ]
    )


def confirm_claim_row(
    mine: Claim | None, *, shift: Shift, volunteer_id: int, now: dt.datetime
) -> Claim:
    """The actor's claim on ``shift``, confirmed: their earlier row reused (the unique
    shift-volunteer pair), or a new one."""
    if mine is None:
        return Claim.objects.create(
            shift=shift, volunteer_id=volunteer_id, status=ClaimStatus.CONFIRMED, confirmed_at=now
        )
    mine.status = ClaimStatus.CONFIRMED
    mine.confirmed_at = now
    mine.waitlist_ticket = None
    mine.cancelled_at = None
    mine.promoted_at = None
    mine.late_cancellation = False
    mine.cancelled_by_shift = False
    mine.cancelled_by = None
    mine.cancellation_reason = ""
    mine.save()
    return mine


def stand_in_decline(*, actor: User, request_id: int) -> StandInAsk:
    """No thanks. When everyone of the latest wave has said so, the next wave is due now."""
    ask = _asked(actor, request_id)
    now = timezone.now()
    with transaction.atomic():
        if ask.answer == StandInAnswer.NONE:
            StandInAsk.objects.filter(pk=ask.pk, answer=StandInAnswer.NONE).update(
                answer=StandInAnswer.DECLINED, answered_at=now
            )
            ask.answer = StandInAnswer.DECLINED
        waiting = StandInAsk.objects.filter(
            request_id=request_id, wave=ask.wave, answer=StandInAnswer.NONE
        )
        if not waiting.exists():
            StandInRequest.objects.filter(
                pk=request_id, status=StandInStatus.OPEN, waves=ask.wave
            ).update(next_wave_at=now)
    return ask


def close_stand_ins(*, claim_ids: list[int], now: dt.datetime) -> None:
    """The claims were cancelled (or their shift): their open requests close. Inside the
    caller's transaction."""
    StandInRequest.objects.filter(claim_id__in=claim_ids, status=StandInStatus.OPEN).update(
        status=StandInStatus.CLOSED, resolved_at=now, next_wave_at=None
    )


# --- asking, in waves -------------------------------------------------------------------------


def _acknowledged(volunteer_id: int | OuterRef, shift: Shift) -> QuerySet[InfoNoteAcknowledgement]:
    return InfoNoteAcknowledgement.objects.filter(
        user_id=volunteer_id,
        organisation_id=shift.organisation_id,
        version__gte=shift.organisation.info_note_version or 0,
    )


def _pool(request: StandInRequest, shift: Shift) -> QuerySet[VolunteerProfile]:
    """Everyone who might be asked, least recently asked first (before eligibility)."""
    organisation_id = shift.organisation_id
    belongs = Q(user__memberships__organisation_id=organisation_id)
    if shift.visibility == ShiftVisibility.PUBLIC:
        came_before = Claim.objects.filter(
            volunteer_id=OuterRef("user_id"),
            shift__organisation_id=organisation_id,
            shift__visibility=ShiftVisibility.PUBLIC,
            status__in=(ClaimStatus.CONFIRMED, ClaimStatus.COMPLETED),
        )
        belongs |= Q(Exists(came_before))
    pool = (
        VolunteerProfile.objects.filter(belongs, stand_in_requests=True, user__is_active=True)
        .exclude(user_id=request.requester_id)
        .exclude(
            Exists(StandInAsk.objects.filter(request=request, volunteer_id=OuterRef("user_id")))
        )
        .exclude(
            Exists(
                Claim.objects.filter(
                    shift=shift, volunteer_id=OuterRef("user_id"), status=ClaimStatus.CONFIRMED
                )
            )
        )
    )
    if shift.organisation.info_note_version is not None:
        # Taking over is one tap: someone who must read the note first claims the usual way.
        pool = pool.filter(Exists(_acknowledged(OuterRef("user_id"), shift)))
    return pool.annotate(last_asked=Max("user__stand_in_asks__asked_at")).distinct()


def _candidates(request: StandInRequest, shift: Shift, now: dt.datetime, wanted: int) -> list[int]:
    """Up to ``wanted`` volunteers to ask now: the shift's waitlist first, then the rest of
    the pool; each judged as for a claim, a chunk of the pool at a time."""
    pool = _pool(request, shift)
    waiting = list(
        Claim.objects.filter(
            shift=shift,
            status=ClaimStatus.WAITLISTED,
            volunteer_id__in=pool.values("user_id"),
        )
        .order_by("waitlist_ticket")
        .values_list("volunteer_id", flat=True)
    )
    chosen: list[int] = []
    if waiting:
        eligibility = Eligibility(volunteer_ids=waiting, shifts=[shift], now=now)
        chosen = [v for v in waiting if eligibility.error(v, shift, new_claim=False) is None]
    ordered = (
        pool.exclude(user_id__in=waiting)
        .order_by(
            # Never asked before comes first, then the longest ago.
            F("last_asked").asc(nulls_first=True),
            "user_id",
        )
        .values_list("user_id", flat=True)
    )
    offset = 0
    while len(chosen) < wanted:
        chunk = list(ordered[offset : offset + _CANDIDATE_CHUNK])
        if not chunk:
            break
        offset += len(chunk)
        eligibility = Eligibility(volunteer_ids=chunk, shifts=[shift], now=now)
        chosen += [v for v in chunk if eligibility.error(v, shift) is None]
    return chosen[:wanted]


def _ask_wave(request: StandInRequest, shift: Shift, now: dt.datetime) -> int:
    """Ask the next wave (inside the caller's transaction, the request locked or new); the
    number asked."""
    chosen = _candidates(request, shift, now, wave_size())
    request.waves += 1
    request.next_wave_at = now + wave_interval()
    request.save(update_fields=["waves", "next_wave_at"])
    if chosen:
        StandInAsk.objects.bulk_create(
            [
                StandInAsk(request=request, volunteer_id=v, wave=request.waves, asked_at=now)
                for v in chosen
            ],
            ignore_conflicts=True,
        )
        notification_records.record_stand_in_asks(
            request=request, shift=shift, volunteer_ids=chosen, now=now
        )
    return len(chosen)


def stand_in_waves_send(*, now: dt.datetime | None = None, limit: int = 100) -> int:
    """The worker's periodic job: close requests whose shift has started, ask the next wave
    of every due request. Safe in several workers at once (each request is taken with SKIP
    LOCKED and re-checked). The number of volunteers asked."""
    now = now or timezone.now()
    StandInRequest.objects.filter(status=StandInStatus.OPEN, shift__starts_at__lte=now).update(
        status=StandInStatus.CLOSED, resolved_at=now, next_wave_at=None
    )
    due = list(
        StandInRequest.objects.filter(status=StandInStatus.OPEN, next_wave_at__lte=now)
        .order_by("next_wave_at")
        .values_list("pk", flat=True)[:limit]
    )
    asked = 0
    for pk in due:
        asked += _send_wave(pk, now)
    return asked


@transaction_retrying
def _send_wave(request_id: int, now: dt.datetime) -> int:
    shift_id = (
        StandInRequest.objects.filter(pk=request_id).values_list("shift_id", flat=True).first()
    )
    if shift_id is None:
        return 0
    shift = Shift.objects.select_related("organisation").filter(pk=shift_id).first()
    request = (
        StandInRequest.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk=request_id, status=StandInStatus.OPEN, next_wave_at__lte=now)
        .first()
    )
    if request is None or shift is None:
        return 0  # another worker has it, or it was answered meanwhile
    return _ask_wave(request, shift, now)


def stand_in_alerts_send(*, now: dt.datetime | None = None) -> int:
    """The worker's periodic job: requests nobody has taken by 24 hours before the start are
    told to the organisation's coordinators, once (the conditional UPDATE claims each)."""
    now = now or timezone.now()
    due = StandInRequest.objects.filter(
        status=StandInStatus.OPEN,
        unfilled_alerted_at__isnull=True,
        shift__starts_at__gt=now,
        shift__starts_at__lte=now + UNFILLED_ALERT_BEFORE,
    ).select_related("shift", "claim")
    alerted = 0
    for request in due[:100]:
        with transaction.atomic():
            won = StandInRequest.objects.filter(
                pk=request.pk, unfilled_alerted_at__isnull=True
            ).update(unfilled_alerted_at=now)
            if not won:
                continue
            coordinators = list(
                Membership.objects.filter(
                    organisation_id=request.shift.organisation_id, role__in=MANAGER_ROLES
                ).values_list("user_id", flat=True)
            )
            notification_records.record_stand_in_unfilled(
                request=request, shift=request.shift, coordinator_ids=coordinators, now=now
            )
            alerted += 1
    return alerted


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AskedRequest:
    """A request the volunteer was asked for and has not answered, still open."""

    request: StandInRequest
    shift: Shift
    ask: StandInAsk


def stand_ins_asked_of(*, user: User, now: dt.datetime | None = None) -> list[AskedRequest]:
    """The open requests ``user`` is asked for, soonest shift first (two queries)."""
    now = now or timezone.now()
    asks = (
        StandInAsk.objects.filter(
            volunteer_id=user.pk,
            answer=StandInAnswer.NONE,
            request__status=StandInStatus.OPEN,
            request__shift__starts_at__gt=now,
        )
        .select_related("request__shift__organisation")
        .order_by("request__shift__starts_at", "id")
    )
    return [AskedRequest(ask.request, ask.request.shift, ask) for ask in asks]


def open_stand_in(claim_id: int) -> StandInRequest | None:
    return StandInRequest.objects.filter(claim_id=claim_id, status=StandInStatus.OPEN).first()

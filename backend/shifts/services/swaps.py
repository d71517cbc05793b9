"""Direct swaps: two volunteers exchange their confirmed claims on two shifts.

The volunteer who proposes names their claim and another shift of the same organisation
(``swap_propose``). The offer goes to the volunteers confirmed on that shift (except those who
declined this offer before) who could take
the proposer's shift, each judged as for a claim while giving up their own (so the two
swapped shifts never count as an overlap, and the upcoming-claims count does not change); the
proposer must be able to take the other shift on the same terms. The first of them to confirm
(``swap_accept``) swaps: in one transaction, under both shifts' row locks, both claims are
cancelled (not late) and each volunteer confirmed on the other's shift; the seat counts do
not change. The other offers close. Cancelling either claim closes its offers too.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.core.errors import (
    ClaimNotActive,
    NotFound,
    ShiftStarted,
    SwapClosed,
    SwapNotPossible,
)
from backend.notifications import records as notification_records
from backend.shifts import locks
from backend.shifts.locks import transaction_retrying
from backend.shifts.models import (
    ACTIVE_CLAIM_STATUSES,
    Claim,
    ClaimStatus,
    Shift,
    ShiftStatus,
    SwapRequest,
    SwapStatus,
)
from backend.shifts.services.eligibility import Eligibility
from backend.shifts.services.publishing import publish_event
from backend.shifts.services.stand_ins import close_stand_ins, confirm_claim_row, hand_over

# Offers one proposal makes at most (the volunteers confirmed on the other shift).
MAX_SWAP_OFFERS = 10


@transaction_retrying
def swap_propose(*, actor: User, claim_id: int, shift_id: int) -> list[SwapRequest]:
    """Offer the actor's confirmed claim in exchange for a seat on ``shift_id``; the offers
    made (an open offer to the same person is kept, not repeated)."""
    own_shift_id = (
        Claim.objects.filter(pk=claim_id, volunteer_id=actor.pk)
        .values_list("shift_id", flat=True)
        .first()
    )
    if own_shift_id is None:
        raise NotFound()
    if own_shift_id == shift_id:
        raise SwapNotPossible(_("Choose another shift than your own."))
    locks.lock_profiles([actor.pk])
    first, second = sorted((own_shift_id, shift_id))
    locked = {first: locks.lock_shift(first), second: locks.lock_shift(second)}
    own, other = locked[own_shift_id], locked[shift_id]
    claim = Claim.objects.get(pk=claim_id)
    if claim.status != ClaimStatus.CONFIRMED:
        raise ClaimNotActive()
    if other.organisation_id != own.organisation_id:
        raise SwapNotPossible(_("Shifts can only be swapped within one organisation."))
    now = timezone.now()
    _both_open(own, other, now)
    declined = SwapRequest.objects.filter(
        proposer_claim=claim_id, status=SwapStatus.DECLINED
    ).values("partner_claim_id")
    partners = list(
        Claim.objects.filter(shift=other, status=ClaimStatus.CONFIRMED)
        .exclude(volunteer_id=actor.pk)
        # Someone who said no to this very offer is not asked again.
        .exclude(pk__in=declined)
        .order_by("confirmed_at", "id")
        .select_related("shift")
    )
    eligibility = Eligibility(
        volunteer_ids=[actor.pk, *(p.volunteer_id for p in partners)], shifts=[own, other], now=now
    )
    if (
        refused := eligibility.error(actor.pk, other, new_claim=False, giving_up=own.pk)
    ) is not None:
        raise refused
    partners = [
        p
        for p in partners
        if eligibility.error(p.volunteer_id, own, new_claim=False, giving_up=other.pk) is None
        # Someone already on the proposer's shift (waitlisted) would hold two claims on it.
        and not Claim.objects.filter(
            shift=own, volunteer_id=p.volunteer_id, status=ClaimStatus.WAITLISTED
        ).exists()
    ][:MAX_SWAP_OFFERS]
    if not partners:
        raise SwapNotPossible(_("Nobody on that shift can take yours at the moment."))
    existing = {
        s.partner_claim_id: s
        for s in SwapRequest.objects.filter(proposer_claim=claim, status=SwapStatus.OPEN)
    }
    made = [
        existing.get(p.pk)
        or SwapRequest(
            proposer_claim=claim,
            partner_claim=p,
            proposer=actor,
            partner_id=p.volunteer_id,
            created_at=now,
        )
        for p in partners
    ]
    new = [s for s in made if s.pk is None]
    SwapRequest.objects.bulk_create(new)
    claim.shift = own
    for swap in new:
        swap.proposer_claim = claim
    notification_records.record_swap_asks(swaps=new, now=now)
    return made


def _both_open(own: Shift, other: Shift, now: dt.datetime) -> None:
    for shift in (own, other):
        if shift.status != ShiftStatus.PUBLISHED:
            raise SwapClosed()
        if shift.starts_at <= now:
            raise ShiftStarted()


@transaction_retrying
def swap_accept(*, actor: User, swap_id: int) -> Claim:
    """The partner confirms: the two claims change hands. Their new claim."""
    row = (
        SwapRequest.objects.filter(pk=swap_id, partner_id=actor.pk)
        .values_list("proposer_id", "proposer_claim__shift_id", "partner_claim__shift_id")
        .first()
    )
    if row is None:
        raise NotFound()
    proposer_id, proposer_shift_id, partner_shift_id = row
    locks.lock_profiles([actor.pk, proposer_id])
    first, second = sorted((proposer_shift_id, partner_shift_id))
    locked = {first: locks.lock_shift(first), second: locks.lock_shift(second)}
    theirs, mine = locked[proposer_shift_id], locked[partner_shift_id]
    swap = locks.lock_swap(swap_id)
    if swap.status != SwapStatus.OPEN:
        raise SwapClosed()
    now = timezone.now()
    _both_open(theirs, mine, now)
    given = Claim.objects.get(pk=swap.proposer_claim_id)
    taken = Claim.objects.get(pk=swap.partner_claim_id)
    if given.status != ClaimStatus.CONFIRMED or taken.status != ClaimStatus.CONFIRMED:
        raise SwapClosed()
    eligibility = Eligibility(volunteer_ids=[actor.pk, proposer_id], shifts=[theirs, mine], now=now)
    for volunteer_id, shift, giving_up in ((actor.pk, theirs, mine), (proposer_id, mine, theirs)):
        refused = eligibility.error(volunteer_id, shift, new_claim=False, giving_up=giving_up.pk)
        if refused is not None:
            raise SwapNotPossible(
                _("The swap is no longer possible: %(reason)s") % {"reason": refused.detail}
            )
    for claim in (given, taken):
        hand_over(claim, now=now)
    mine_now = confirm_claim_row(
        Claim.objects.filter(shift=theirs, volunteer_id=actor.pk).first(),
        shift=theirs,
        volunteer_id=actor.pk,
        now=now,
    )
    theirs_now = confirm_claim_row(
        Claim.objects.filter(shift=mine, volunteer_id=proposer_id).first(),
        shift=mine,
        volunteer_id=proposer_id,
        now=now,
    )
    swap.status = SwapStatus.DONE
    swap.resolved_at = now
    swap.save(update_fields=["status", "resolved_at"])
    close_swaps(claim_ids=[given.pk, taken.pk], now=now)
    close_stand_ins(claim_ids=[given.pk, taken.pk], now=now)
    notification_records.record_claim_confirmed(claim=mine_now, shift=theirs, now=now)
    notification_records.record_claim_confirmed(claim=theirs_now, shift=mine, now=now)
    notification_records.record_swap_done(swap=swap, claim=theirs_now, shift=mine, now=now)
    given.shift, taken.shift, mine_now.shift, theirs_now.shift = theirs, mine, theirs, mine
    publish_event("claim.cancelled", theirs, given, user_ids=[proposer_id])
    publish_event("claim.cancelled", mine, taken, user_ids=[actor.pk])
    publish_event("claim.confirmed", theirs, mine_now, user_ids=[actor.pk])
    publish_event("claim.confirmed", mine, theirs_now, user_ids=[proposer_id])
    return mine_now


def swap_decline(*, actor: User, swap_id: int) -> SwapRequest:
    swap = SwapRequest.objects.filter(pk=swap_id, partner_id=actor.pk).first()
    if swap is None:
        raise NotFound()
    if swap.status == SwapStatus.OPEN:
        SwapRequest.objects.filter(pk=swap.pk, status=SwapStatus.OPEN).update(
            status=SwapStatus.DECLINED, resolved_at=timezone.now()
        )
        swap.refresh_from_db()
    return swap


def swap_withdraw(*, actor: User, claim_id: int) -> int:
    """The proposer takes back every open offer for their claim; how many."""
    if not Claim.objects.filter(pk=claim_id, volunteer_id=actor.pk).exists():
        raise NotFound()
    return SwapRequest.objects.filter(proposer_claim_id=claim_id, status=SwapStatus.OPEN).update(
        status=SwapStatus.WITHDRAWN, resolved_at=timezone.now()
    )


def close_swaps(*, claim_ids: list[int], now: dt.datetime) -> None:
    """The claims changed hands or were cancelled: their open offers close."""
    SwapRequest.objects.filter(
        Q(proposer_claim_id__in=claim_ids) | Q(partner_claim_id__in=claim_ids),
        status=SwapStatus.OPEN,
    ).update(status=SwapStatus.CLOSED, resolved_at=now)


def swaps_offered_to(*, user: User, now: dt.datetime | None = None) -> list[SwapRequest]:
    """Open offers to ``user`` whose shifts have not started, soonest first (one query)."""
    now = now or timezone.now()
    return list(
        SwapRequest.objects.filter(
            partner_id=user.pk,
            status=SwapStatus.OPEN,
            proposer_claim__shift__starts_at__gt=now,
            partner_claim__shift__starts_at__gt=now,
        )
        .select_related("proposer_claim__shift__organisation", "partner_claim__shift__organisation")
        .order_by("proposer_claim__shift__starts_at", "id")
    )


def swap_targets(*, user: User, claim_id: int, limit: int = 8) -> list[Shift]:
    """Shifts the volunteer could swap their claim for: of the same organisation, open, not
    started, with someone else confirmed on them, and which the volunteer could take while
    giving up their own (judged in bulk). Soonest first; a constant number of queries."""
    claim = (
        Claim.objects.select_related("shift__organisation")
        .filter(pk=claim_id, volunteer_id=user.pk, status=ClaimStatus.CONFIRMED)
        .first()
    )
    if claim is None:
        raise NotFound()
    own = claim.shift
    now = timezone.now()
    mine = Claim.objects.filter(volunteer_id=user.pk, status__in=ACTIVE_CLAIM_STATUSES)
    candidates = list(
        Shift.objects.filter(
            organisation_id=own.organisation_id,
            status=ShiftStatus.PUBLISHED,
            starts_at__gt=now,
            confirmed_count__gt=0,
        )
        .exclude(pk=own.pk)
        .exclude(pk__in=mine.values("shift_id"))
        .select_related("organisation")
        .order_by("starts_at", "id")[: limit * 4]
    )
    eligibility = Eligibility(volunteer_ids=[user.pk], shifts=candidates, now=now)
    return [
        shift
        for shift in candidates
        if eligibility.error(user.pk, shift, new_claim=False, giving_up=own.pk) is None
    ][:limit]

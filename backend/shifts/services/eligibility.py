"""Who may hold a seat on a shift: one set of rules for claiming, promotion from the waitlist,
the bot's list of shifts for a volunteer and the recipients of a coordinator's broadcast.

The rules (``eligibility_error``) read ``Facts``; gathering the facts is apart from judging
them. ``Eligibility`` gathers them for any number of volunteers and shifts in six queries
(memberships, profiles, required qualifications, qualifications held, confirmed claims in the
time window, upcoming claims), whatever the numbers; ``claim_create`` reads them for its one pair
as annotations of its single compiled query (``claims.py``). The rules, in the order they
answer:

1. a member of the shift's organisation, or the shift is public (``not_member``);
2. not blocked from claiming after no-shows (``claim_blocked``);
3. old enough on the shift's local date (``too_young``): 16, or 15 with the attestation that
   the first two years of secondary school are completed (wet van 3 juli 2005), and the
   shift's own ``min_age`` if it has one; a volunteer whose date of birth is unknown is asked
   for it (``birth_date_required``) when the shift has an age limit or the organisation
   requires it, and is otherwise not judged on age;
4. holds every required qualification, valid on the shift's local date (``not_qualified``);
5. no confirmed claim on another shift that overlaps it in time (``overlap``);
6. for a new claim, fewer than ``INZET_MAX_UPCOMING_CLAIMS`` upcoming claims
   (``too_many_claims``; a waitlisted claim being promoted was counted when it was made).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, OuterRef, QuerySet
from django.utils import timezone

from backend.accounts.models import VolunteerProfile
from backend.core.errors import (
    BirthDateRequired,
    ClaimBlocked,
    DomainError,
    NotMember,
    NotQualified,
    Overlap,
    TooManyClaims,
    TooYoung,
)
from backend.organisations.models import Membership, VolunteerQualification
from backend.shifts.models import ACTIVE_CLAIM_STATUSES, Claim, ClaimStatus, Shift, ShiftVisibility


@dataclass(frozen=True)
class Facts:
    """What the rules need to know about one volunteer and one shift."""

    is_member: bool
    claims_blocked: bool
    qualified: bool
    overlapping: bool
    upcoming: int  # active claims on shifts that have not ended
    birth_date: dt.date | None = None
    school_attestation: bool = False


# The law's minimum age, and the age from which the school attestation is enough.
LEGAL_MIN_AGE = 16
ATTESTED_MIN_AGE = 15


def shift_local_date(shift: Shift) -> dt.date:
    return shift.starts_at.astimezone(ZoneInfo(shift.organisation.time_zone)).date()


def membership_error(shift: Shift, *, is_member: bool) -> NotMember | None:
    """Rule 1 alone: claiming checks it before anything else, so an outsider learns nothing of
    a members-only shift's state."""
    if not is_member and shift.visibility != ShiftVisibility.PUBLIC:
        return NotMember()
    return None


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Completed years on ``day`` (someone born on 29 February is a year older on 1 March in
    other years)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def age_error(
    shift: Shift, birth_date: dt.date | None, *, school_attestation: bool
) -> DomainError | None:
    """Rule 3 alone."""
    if birth_date is None:
        if shift.min_age is not None or shift.organisation.requires_birth_date:
            return BirthDateRequired()
        return None
    age = age_on(birth_date, shift_local_date(shift))
    if shift.min_age is not None and age < shift.min_age:
        return TooYoung.below(shift.min_age)
    if age >= LEGAL_MIN_AGE or (age >= ATTESTED_MIN_AGE and school_attestation):
        return None
    return TooYoung()


def eligibility_error(shift: Shift, facts: Facts, *, new_claim: bool = True) -> DomainError | None:
    """Why the volunteer the ``facts`` describe may not hold a seat on ``shift`` (seats
    aside), or None if they may."""
    if (error := membership_error(shift, is_member=facts.is_member)) is not None:
        return error
    if facts.claims_blocked:
        return ClaimBlocked()
    if too_young := age_error(shift, facts.birth_date, school_attestation=facts.school_attestation):
        return too_young
    if not facts.qualified:
        return NotQualified()
    if facts.overlapping:
        return Overlap()
    if new_claim and facts.upcoming >= settings.INZET_MAX_UPCOMING_CLAIMS:
        return TooManyClaims()
    return None


def holds_valid(held: dict[int, dt.date | None], required: Iterable[int], day: dt.date) -> bool:
    """Whether ``held`` (qualification id -> expiry or None) covers ``required`` on ``day``."""
    return all(q in held and (held[q] is None or held[q] >= day) for q in required)  # type: ignore[operator]


class Eligibility:
    """The facts for every pair of ``volunteer_ids`` and ``shifts``, read in six queries
    (fewer when there is nothing to look up), then judged in memory.

    ``shifts`` need their organisation loaded (``select_related``). Read the facts after
    taking the locks that make them stable (promotion: the candidates' profiles).
    """

    def __init__(
        self,
        *,
        volunteer_ids: Iterable[int],
        shifts: Sequence[Shift],
        now: dt.datetime | None = None,
    ) -> None:
        self.volunteer_ids = sorted(set(volunteer_ids))
        self.shifts = list(shifts)
        now = now or timezone.now()
        self._members: dict[tuple[int, int], bool] = {}  # (user, organisation) -> blocked
        self._required: dict[int, list[int]] = defaultdict(list)
        self._held: dict[int, dict[int, dt.date | None]] = defaultdict(dict)
        self._confirmed: dict[int, list[tuple[int, dt.datetime, dt.datetime]]] = defaultdict(list)
        self._upcoming: dict[int, int] = {}
        self._ages: dict[int, tuple[dt.date | None, bool]] = {}
        if not self.volunteer_ids or not self.shifts:
            return
        for user_id, birth_date, attestation in VolunteerProfile.objects.filter(
            user_id__in=self.volunteer_ids
        ).values_list("user_id", "birth_date", "school_attestation"):
            self._ages[user_id] = (birth_date, attestation)
        organisation_ids = {s.organisation_id for s in self.shifts}
        for user_id, organisation_id, blocked_at in Membership.objects.filter(
            user_id__in=self.volunteer_ids, organisation_id__in=organisation_ids
        ).values_list("user_id", "organisation_id", "claims_blocked_at"):
            self._members[(user_id, organisation_id)] = blocked_at is not None
        through = Shift.required_qualifications.through
        for shift_id, qualification_id in through.objects.filter(
            shift_id__in=[s.pk for s in self.shifts]
        ).values_list("shift_id", "qualification_id"):
            self._required[shift_id].append(qualification_id)
        required_ids = {q for ids in self._required.values() for q in ids}
        if required_ids:
            for user_id, qualification_id, expires_on in VolunteerQualification.objects.filter(
                user_id__in=self.volunteer_ids, qualification_id__in=required_ids
            ).values_list("user_id", "qualification_id", "expires_on"):
                self._held[user_id][qualification_id] = expires_on
        window_start = min(s.starts_at for s in self.shifts)
        window_end = max(s.ends_at for s in self.shifts)
        for user_id, shift_id, starts_at, ends_at in Claim.objects.filter(
            volunteer_id__in=self.volunteer_ids,
            status=ClaimStatus.CONFIRMED,
            shift__starts_at__lt=window_end,
            shift__ends_at__gt=window_start,
        ).values_list("volunteer_id", "shift_id", "shift__starts_at", "shift__ends_at"):
            self._confirmed[user_id].append((shift_id, starts_at, ends_at))
        self._upcoming = dict(
            Claim.objects.filter(
                volunteer_id__in=self.volunteer_ids,
                status__in=ACTIVE_CLAIM_STATUSES,
                shift__ends_at__gt=now,
            )
            .values("volunteer_id")
            .annotate(n=Count("pk"))
            .values_list("volunteer_id", "n")
        )

    def facts(self, volunteer_id: int, shift: Shift, *, giving_up: int | None = None) -> Facts:
        """``giving_up``: a shift whose claim the volunteer gives up in the same step (a
        swap), so it does not count as an overlap."""
        blocked = self._members.get((volunteer_id, shift.organisation_id))
        required = self._required.get(shift.pk, ())
        birth_date, attestation = self._ages.get(volunteer_id, (None, False))
        return Facts(
            is_member=blocked is not None,
            claims_blocked=bool(blocked),
            qualified=not required
            or holds_valid(self._held.get(volunteer_id, {}), required, shift_local_date(shift)),
            overlapping=any(
                other not in (shift.pk, giving_up)
                and starts_at < shift.ends_at
                and ends_at > shift.starts_at
                for other, starts_at, ends_at in self._confirmed.get(volunteer_id, ())
            ),
            upcoming=self._upcoming.get(volunteer_id, 0),
            birth_date=birth_date,
            school_attestation=attestation,
        )

    def error(
        self,
        volunteer_id: int,
        shift: Shift,
        *,
        new_claim: bool = True,
        giving_up: int | None = None,
    ) -> DomainError | None:
        return eligibility_error(
            shift, self.facts(volunteer_id, shift, giving_up=giving_up), new_claim=new_claim
        )


def qualified_for(user_id: int, shift: Shift, *, required_count: int) -> bool:
    """Rule 3's fact for one pair, in one query (claim_create, when the shift requires any)."""
    valid = VolunteerQualification.objects.filter(
        VolunteerQualification.valid_on_q(shift_local_date(shift)),
        user_id=user_id,
        qualification__shifts=shift,
    ).count()
    return valid >= required_count


def overlapping_claims(volunteer_id: int | Any, shift: Shift | Any) -> QuerySet[Claim]:
    """The volunteer's confirmed claims on other shifts that overlap ``shift`` in time.

    ``shift`` may be a Shift or an OuterRef expression (as a subquery of a shift query)."""
    starts_at: dt.datetime | OuterRef
    ends_at: dt.datetime | OuterRef
    pk: int | OuterRef
    if isinstance(shift, Shift):
        starts_at, ends_at, pk = shift.starts_at, shift.ends_at, shift.pk
    else:
        starts_at, ends_at, pk = OuterRef("starts_at"), OuterRef("ends_at"), OuterRef("pk")
    return Claim.objects.filter(
        volunteer_id=volunteer_id,
        status=ClaimStatus.CONFIRMED,
        shift__starts_at__lt=ends_at,
        shift__ends_at__gt=starts_at,
    ).exclude(shift_id=pk)

"""Suggestions: at most five shifts of the next 30 days a volunteer can claim, the most urgent
and best fitting first (``/suggest`` in the bot, ``GET /api/v1/me/suggestions/``).

**Never a shift they cannot claim.** A candidate is a shift the volunteer may see
(``visible_shifts``: their organisations' and public ones) that is open for claims now: published,
starting within ``WINDOW``, with a free seat (a full shift is not suggested, waitlist or not: a
suggestion offers a seat), claims already open (``claims_open_at``), and no claim of theirs on it,
active or cancelled (they hold it, or they gave it up: offering it again would nag). Each
candidate must then pass every rule of ``eligibility_error`` for a new claim, judged by the one
``Eligibility``: member or public, not blocked, old enough, qualified, no overlap, under the
upcoming-claims limit. An age rule that cannot be judged (the date of birth is unknown,
``birth_date_required``) or that only the school attestation would lift refuses the shift too:
a suggestion is a claim that would be taken as it stands. The information note is the one
exception: a note not yet acknowledged is not a refusal by a rule but a text to read, and the
claim flow shows it (the bot, then claims; the app gets ``info_note_required`` and shows it).
A volunteer who prefers one mode (online or on site) is never offered the other, as in the
bot's ``/shifts`` and a coordinator's broadcast.

**The score** (whole points, higher first; ties: the earlier start, then the lower id):

- urgency, *short of people*: ``SHORT_POINTS * seats_left // capacity`` (0..40: an empty shift
  gets all 40, one with a seat in ten left gets 4); reason ``short`` when at least half the
  seats are still open;
- urgency, *soon*: ``SOON_POINTS * (SOON_HORIZON - time to start) // SOON_HORIZON``, never below
  0 (0..30: a shift starting now gets 30, one a week or more ahead 0); reason ``soon`` when it
  starts within ``SOON_REASON`` (48 hours);
- fit, *qualified*: ``QUALIFIED_POINTS`` (15) when the shift requires qualifications (the
  volunteer holds them all, or it would not be a candidate): few can take it; reason
  ``qualified``;
- fit, *familiar*: ``FAMILIAR_POINTS`` (15) when it is an occurrence of a series, or has the
  title (case and spaces aside) of a shift of the same organisation, they took before; reason
  ``familiar``;
- fit, *returning*: ``RETURNING_POINTS`` (10) when it is a shift of an organisation they took
  a shift for before; reason ``returning``;
- fit, *mode*: no points, since the other mode is filtered out (see above); reason ``mode``
  when the volunteer prefers online or on site, so every suggestion is in the mode they chose.

"Took before": a claim of theirs that is confirmed or completed (not cancelled, not a no-show),
on a shift past or to come.

**Queries**: a constant number whatever the number of candidates and the length of the
volunteer's history: the profile, the candidates (with whether the volunteer manages each
organisation), their qualifications (one prefetch), ``Eligibility``'s six, and the history
(distinct organisation, series and title of their claims in the organisations of the
candidates that pass the rules).
At most ten (fewer when no candidate requires a qualification, when none passes the rules, and
two when there is no candidate). At most ``MAX_CANDIDATES`` shifts, the soonest, are judged.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from backend.accounts.models import ModePreference, User, VolunteerProfile
from backend.organisations.models import MANAGER_ROLES, Membership
from backend.shifts.listing import open_for_claims, visible_shifts
from backend.shifts.models import Claim, ClaimStatus, Shift, ShiftMode
from backend.shifts.services.eligibility import Eligibility

# How far ahead suggestions look, how many they are, and how many candidates are judged.
WINDOW = dt.timedelta(days=30)
LIMIT = 5
MAX_CANDIDATES = 200

SHORT_POINTS = 40
SOON_POINTS = 30
SOON_HORIZON = dt.timedelta(days=7)
SOON_REASON = dt.timedelta(hours=48)
QUALIFIED_POINTS = 15
FAMILIAR_POINTS = 15
RETURNING_POINTS = 10

# The claims that count as "a shift they took".
TAKEN_STATUSES = (ClaimStatus.CONFIRMED, ClaimStatus.COMPLETED)


class Reason(enum.StrEnum):
    """Why a shift is suggested, machine-readable (the adapters put it in words); in this
    order in ``Suggestion.reasons``."""

    SHORT = "short"
    SOON = "soon"
    QUALIFIED = "qualified"
    FAMILIAR = "familiar"
    RETURNING = "returning"
    MODE = "mode"


@dataclass(frozen=True)
class Suggestion:
    """A shift to suggest, with its organisation loaded and its required qualifications
    prefetched; ``manages``: whether the volunteer manages its organisation (a coordinator
    sees the address)."""

    shift: Shift
    score: int
    reasons: tuple[Reason, ...]
    manages: bool


@dataclass(frozen=True)
class _History:
    """What the volunteer took before, in the candidates' organisations."""

    organisations: frozenset[int]
    series: frozenset[int]
    titles: frozenset[tuple[int, str]]  # (organisation, normalised title)


def _title_key(title: str) -> str:
    return " ".join(title.split()).casefold()


def _candidates(user: User, *, mode_preference: str, now: dt.datetime) -> list[Shift]:
    shifts = (
        visible_shifts(viewer_id=user.pk, is_staff=False)
        .filter(open_for_claims(now), starts_at__lte=now + WINDOW)
        .filter(Q(claims_open_at__isnull=True) | Q(claims_open_at__lte=now))
        .exclude(pk__in=Claim.objects.filter(volunteer_id=user.pk).values("shift_id"))
        .annotate(
            viewer_manages=Exists(
                Membership.objects.filter(
                    user_id=user.pk,
                    organisation_id=OuterRef("organisation_id"),
                    role__in=MANAGER_ROLES,
                )
            )
        )
        .select_related("organisation")
        .prefetch_related("required_qualifications")
        .order_by("starts_at", "id")
    )
    if mode_preference == ModePreference.ONLINE:
        shifts = shifts.filter(mode=ShiftMode.ONLINE)
    elif mode_preference == ModePreference.ON_SITE:
        shifts = shifts.filter(mode=ShiftMode.ON_SITE)
    return list(shifts[:MAX_CANDIDATES])


def _history(user: User, organisation_ids: set[int]) -> _History:
    rows = (
        Claim.objects.filter(
            volunteer_id=user.pk,
            status__in=TAKEN_STATUSES,
            shift__organisation_id__in=organisation_ids,
        )
        .order_by()
        .values_list("shift__organisation_id", "shift__series_id", "shift__title")
        .distinct()
    )
    organisations, series, titles = set(), set(), set()
    for organisation_id, series_id, title in rows:
        organisations.add(organisation_id)
        if series_id is not None:
            series.add(series_id)
        titles.add((organisation_id, _title_key(title)))
    return _History(frozenset(organisations), frozenset(series), frozenset(titles))


def _score(
    shift: Shift, *, history: _History, mode_preference: str, now: dt.datetime
) -> tuple[int, tuple[Reason, ...]]:
    """The documented score of one candidate (see the module's docstring) and its reasons.
    ``shift`` needs its required qualifications prefetched."""
    reasons: list[Reason] = []
    seats_left = shift.seats_left
    score = SHORT_POINTS * seats_left // shift.capacity
    if seats_left * 2 >= shift.capacity:
        reasons.append(Reason.SHORT)
    until = shift.starts_at - now
    horizon = int(SOON_HORIZON.total_seconds())
    score += max(0, SOON_POINTS * (horizon - int(until.total_seconds())) // horizon)
    if until <= SOON_REASON:
        reasons.append(Reason.SOON)
    if shift.required_qualifications.all():
        score += QUALIFIED_POINTS
        reasons.append(Reason.QUALIFIED)
    if (shift.series_id is not None and shift.series_id in history.series) or (
        shift.organisation_id,
        _title_key(shift.title),
    ) in history.titles:
        score += FAMILIAR_POINTS
        reasons.append(Reason.FAMILIAR)
    if shift.organisation_id in history.organisations:
        score += RETURNING_POINTS
        reasons.append(Reason.RETURNING)
    if mode_preference in (ModePreference.ONLINE, ModePreference.ON_SITE):
        reasons.append(Reason.MODE)
    return score, tuple(reasons)


def suggestions_for(
    user: User, *, now: dt.datetime | None = None, limit: int = LIMIT
) -> list[Suggestion]:
    """At most ``limit`` shifts of the next 30 days ``user`` can claim, best first."""
    now = now or timezone.now()
    mode_preference = (
        VolunteerProfile.objects.filter(user_id=user.pk)
        .values_list("mode_preference", flat=True)
        .first()
        or ModePreference.BOTH
    )
    candidates = _candidates(user, mode_preference=mode_preference, now=now)
    if not candidates:
        return []
    eligibility = Eligibility(volunteer_ids=[user.pk], shifts=candidates, now=now)
    claimable: Sequence[Shift] = [s for s in candidates if eligibility.error(user.pk, s) is None]
    if not claimable:
        return []
    history = _history(user, {s.organisation_id for s in claimable})
    scored = []
    for shift in claimable:
        score, reasons = _score(shift, history=history, mode_preference=mode_preference, now=now)
        scored.append(
            Suggestion(
                shift=shift,
                score=score,
                reasons=reasons,
                manages=bool(getattr(shift, "viewer_manages")),  # noqa: B009 (an annotation)
            )
        )
    scored.sort(key=lambda s: (-s.score, s.shift.starts_at, s.shift.pk))
    return scored[:limit]

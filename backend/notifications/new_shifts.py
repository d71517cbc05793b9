"""New shifts to the volunteers who could claim them: ``shift.suggested`` on their own
``ws/v1/me/`` stream, sent by the worker for each ``shift_published`` row
(``backend/notifications/records.py``, ``record_shift_published``).

Who is told: the organisation's active volunteers (role volunteer: coordinators have the
board) whose mode preference takes the shift's mode, who have no claim on it yet, and whom
``Eligibility`` would let claim it (membership, no claim block, age, every required
qualification valid on the day, no overlap, under the upcoming-claims limit).

Bounded work per publication, whatever the organisation's size: one query for the candidates,
one for the claims already on the shift, then ``Eligibility`` per ``CHUNK`` volunteers (six
queries each), then one read of the shift's row and one group send per volunteer told, a
hundred in flight at once (``realtime.events.publish_shift_suggested``). It runs in the
worker, never in the coordinator's request.
"""

from __future__ import annotations

import datetime as dt

from backend.accounts.models import ModePreference
from backend.notifications.models import Notification
from backend.organisations.models import Membership, Role
from backend.shifts.models import ACTIVE_CLAIM_STATUSES, Claim, Shift, ShiftMode, ShiftStatus
from backend.shifts.services import Eligibility
from realtime.events import publish_shift_suggested

# Volunteers judged by one ``Eligibility`` (six queries) at a time.
CHUNK = 1000

# The mode preferences that take a shift of each mode.
WANTS = {
    ShiftMode.ON_SITE: (ModePreference.ON_SITE, ModePreference.BOTH),
    ShiftMode.ONLINE: (ModePreference.ONLINE, ModePreference.BOTH),
}


def wants_mode(preference: str, mode: str) -> bool:
    """Whether a volunteer with this mode preference wants shifts of this mode."""
    return preference in WANTS[ShiftMode(mode)]


def eligible_among(user_ids: list[int], shifts: list[Shift]) -> set[tuple[int, int]]:
    """The (user, shift) pairs of these volunteers and shifts in which the volunteer could
    claim the shift now; ``CHUNK`` volunteers at a time. ``shifts`` need their organisation."""
    pairs: set[tuple[int, int]] = set()
    for start in range(0, len(user_ids), CHUNK):
        chunk = user_ids[start : start + CHUNK]
        eligibility = Eligibility(volunteer_ids=chunk, shifts=shifts)
        pairs |= {
            (user_id, shift.pk)
            for user_id in chunk
            for shift in shifts
            if eligibility.error(user_id, shift) is None
        }
    return pairs


def suggested_to(shift: Shift) -> list[int]:
    """The volunteers a newly published shift is suggested to (see the module's rules), in
    user id order."""
    candidates = list(
        Membership.objects.filter(
            organisation_id=shift.organisation_id,
            role=Role.VOLUNTEER,
            user__is_active=True,
            user__profile__mode_preference__in=WANTS[ShiftMode(shift.mode)],
        )
        .exclude(
            user_id__in=Claim.objects.filter(shift=shift, status__in=ACTIVE_CLAIM_STATUSES).values(
                "volunteer_id"
            )
        )
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    return sorted(user_id for user_id, _shift in eligible_among(candidates, [shift]))


def shift_suggest(*, notification: Notification, now: dt.datetime) -> int:
    """The worker's job for a ``shift_published`` row: suggest the shift, if it is still
    open; how many volunteers were told."""
    shift = Shift.objects.select_related("organisation").filter(pk=notification.shift_id).first()
    if shift is None or shift.status != ShiftStatus.PUBLISHED or shift.starts_at <= now:
        return 0
    return publish_shift_suggested(shift.pk, suggested_to(shift))

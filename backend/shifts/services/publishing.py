"""Events of the shifts domain, published after commit (realtime/events.py)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from backend.notifications.records import record_shift_published
from backend.organisations.public_page import public_page_changed
from backend.shifts.models import Claim, Shift, ShiftVisibility
from realtime.events import ClaimInfo, DomainEvent, EventType, ShiftCounts, publish_on_commit


def _shift_counts(shift: Shift) -> ShiftCounts:
    return {
        "id": shift.pk,
        "status": shift.status,
        "capacity": shift.capacity,
        "confirmed_count": shift.confirmed_count,
        "waitlist_count": shift.waitlist_count,
        "starts_at": shift.starts_at.isoformat(),
        "ends_at": shift.ends_at.isoformat(),
    }


def publish_event(
    event_type: EventType,
    shift: Shift,
    claim: Claim | None = None,
    *,
    user_ids: Iterable[int] = (),
    time_changed: bool | None = None,
) -> None:
    event: DomainEvent = {
        "type": event_type,
        "organisation_id": shift.organisation_id,
        "occurred_at": timezone.now().isoformat(),
        "shift": _shift_counts(shift),
    }
    if claim is not None:
        info: ClaimInfo = {
            "id": claim.pk,
            "volunteer_id": claim.volunteer_id,
            "status": claim.status,
            "late_cancellation": claim.late_cancellation,
        }
        event["claim"] = info
    if time_changed is not None:
        event["time_changed"] = time_changed
    publish_on_commit(event, user_ids=tuple(user_ids))
    if event_type == "shift.created":
        # The worker suggests it to the volunteers who could claim it (their own streams) and
        # the weekly digests count from this row: finding them is work for thousands of
        # members, not for the coordinator's request.
        record_shift_published(shift=shift, now=timezone.now())
    if shift.visibility == ShiftVisibility.PUBLIC:
        public_page_changed(shift.organisation_id)

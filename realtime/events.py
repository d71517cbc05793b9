"""Domain events: group names, payload shapes and the one publishing function.

Services call :func:`publish_on_commit`; nothing else sends to the channel layer. Events are
hints for live views (the channel layer delivers at most once): anything a person must receive
is stored in the database by the service that caused it.
"""

from __future__ import annotations

import logging
from typing import Literal, NotRequired, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

EventType = Literal[
    "shift.created",
    "shift.changed",
    "shift.cancelled",
    "claim.confirmed",
    "claim.waitlisted",
    "claim.cancelled",
    "claim.promoted",
]


class ShiftCounts(TypedDict):
    id: int
    status: str
    capacity: int
    confirmed_count: int
    waitlist_count: int
    starts_at: str
    ends_at: str


class ClaimInfo(TypedDict):
    id: int
    volunteer_id: int
    status: str
    late_cancellation: bool


class DomainEvent(TypedDict):
    type: EventType
    organisation_id: int
    occurred_at: str
    shift: ShiftCounts
    claim: NotRequired[ClaimInfo]
    time_changed: NotRequired[bool]


def organisation_group(organisation_id: int) -> str:
    return f"org.{organisation_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def publish_on_commit(event: DomainEvent, *, user_ids: tuple[int, ...] = ()) -> None:
    """Send ``event`` to the organisation's group (and each user's own group) after commit.

    A rolled-back transaction publishes nothing. Sending failures are logged, never raised:
    the state change already committed, and clients resynchronise from snapshots.
    """
    groups = [organisation_group(event["organisation_id"])]
    groups += [user_group(user_id) for user_id in user_ids]
    transaction.on_commit(lambda: _send(groups, event))


def _send(groups: list[str], event: DomainEvent) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "domain.event", "event": event}
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:
            logger.warning("could not publish %s to %s", event["type"], group, exc_info=True)


def now_iso() -> str:
    return timezone.now().isoformat()

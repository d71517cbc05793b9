"""Domain events: group names, payload shapes and the one publishing function.

Services call :func:`publish_on_commit`; nothing else sends to the channel layer. Events are
hints for live views (the channel layer delivers at most once): anything a person must receive
is stored in the database by the service that caused it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from functools import cache
from typing import Literal, NotRequired, TypedDict

import redis
from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer
from django.db import transaction
from django.utils import timezone

from backend.board.selectors import BoardShift, board_shift
from realtime.sequence import next_sequence

logger = logging.getLogger(__name__)

PUBLISH_TIMEOUT_SECONDS = 5

EventType = Literal[
    "shift.created",
    "shift.changed",
    "shift.cancelled",
    "claim.confirmed",
    "claim.waitlisted",
    "claim.cancelled",
    "claim.promoted",
    "claim.checked_in",
    "claim.checked_out",
    "claim.completed",
    "claim.no_show",
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


class LayerMessage(TypedDict):
    """What travels through the channel layer to the consumers."""

    type: Literal["domain.event"]
    event: DomainEvent
    audience: Literal["organisation", "user"]
    # Organisation sequence number; None if it could not be taken (Redis down): clients
    # treat a missing number as a gap and resynchronise.
    seq: int | None
    # The shift as the board shows it, read after the number was taken (see sequence.py).
    board_shift: BoardShift | None
    # Set by the first board consumer of a process that encodes the message (consumers.py).
    board_text: NotRequired[str]


def _send(groups: list[str], event: DomainEvent) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    organisation_id = event["organisation_id"]
    seq: int | None
    try:
        seq = next_sequence(organisation_id)
    except redis.RedisError:
        logger.warning("could not number %s for org %s", event["type"], organisation_id)
        seq = None
    # Read after numbering: the row sent with a higher number is then never older than one
    # sent with a lower number, so applying events in order converges on the database.
    row = board_shift(shift_id=event["shift"]["id"])
    messages: list[tuple[str, LayerMessage]] = [
        (
            group,
            {
                "type": "domain.event",
                "event": event,
                "audience": "organisation" if group.startswith("org.") else "user",
                "seq": seq,
                "board_shift": row,
            },
        )
        for group in groups
    ]
    if isinstance(layer, InMemoryChannelLayer):
        # Its queues belong to the consumers' event loop: send from that loop.
        async_to_sync(_group_send_all)(layer, messages, event["type"])
        return
    try:
        asyncio.run_coroutine_threadsafe(
            _group_send_all(layer, messages, event["type"]), _publisher_loop()
        ).result(timeout=PUBLISH_TIMEOUT_SECONDS)
    except Exception:
        logger.warning("could not publish %s in time", event["type"], exc_info=True)


class UserNotification(TypedDict):
    """Something the worker tells one person (a reminder, a follow-up question, news about a
    shift), in their language, as it also goes to their Telegram chat if they have one."""

    kind: str
    text: str
    shift_id: int
    claim_id: int | None


class NotificationMessage(TypedDict):
    type: Literal["user.notification"]
    notification: UserNotification


def publish_notification(user_id: int, notification: UserNotification) -> None:
    """Send a notification to the person's own websocket stream (``ws/v1/me/``), now.

    Called by the notification worker, outside any transaction: the notification row is the
    record, this is a best-effort copy for apps that are connected at that moment.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    message: NotificationMessage = {"type": "user.notification", "notification": notification}

    async def send() -> None:
        await layer.group_send(user_group(user_id), message)

    try:
        if isinstance(layer, InMemoryChannelLayer):
            async_to_sync(send)()
        else:
            asyncio.run_coroutine_threadsafe(send(), _publisher_loop()).result(
                timeout=PUBLISH_TIMEOUT_SECONDS
            )
    except Exception:
        logger.warning("could not publish a %s notification", notification["kind"], exc_info=True)


async def _group_send_all(
    layer: BaseChannelLayer, messages: list[tuple[str, LayerMessage]], event_type: str
) -> None:
    for group, message in messages:
        try:
            await layer.group_send(group, message)
        except Exception:
            logger.warning("could not publish %s to %s", event_type, group, exc_info=True)


@cache
def _publisher_loop() -> asyncio.AbstractEventLoop:
    """One event loop per process, in a daemon thread, for publishing from sync code.

    ``async_to_sync`` outside an event loop starts a new loop for every call, and
    channels_redis opens a new connection pool per loop: a connection (and ~20 ms) per
    event. A long-lived loop keeps the pool.
    """
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="inzet-publisher", daemon=True).start()
    return loop


def now_iso() -> str:
    return timezone.now().isoformat()

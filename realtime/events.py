"""Domain events: group names, payload shapes and the one publishing function.

Services call :func:`publish_on_commit`; nothing else sends to the channel layer. Events are
hints for live views (the channel layer delivers at most once): anything a person must receive
is stored in the database by the service that caused it.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import queue
import threading
from collections import Counter
from functools import cache
from typing import Literal, NotRequired, TypedDict

import redis
from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer
from django.db import connection, transaction
from django.utils import timezone

from backend.board.selectors import BoardShift, board_shifts
from realtime.sequence import next_sequences

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


def news_group(organisation_id: int) -> str:
    """Only the organisation's newly published shifts: what volunteers' own streams follow.

    Not the organisation's group, which carries every claim: with one member per open app,
    each claim would be written to every volunteer's channel only to be dropped there.
    """
    return f"news.{organisation_id}"


def publish_on_commit(event: DomainEvent, *, user_ids: tuple[int, ...] = ()) -> None:
    """Send ``event`` to the organisation's group (and each user's own group) after commit.

    A rolled-back transaction publishes nothing. Sending failures are logged, never raised:
    the state change already committed, and clients resynchronise from snapshots.
    """
    groups = [organisation_group(event["organisation_id"])]
    if event["type"] == "shift.created":
        groups.append(news_group(event["organisation_id"]))
    groups += [user_group(user_id) for user_id in user_ids]
    transaction.on_commit(lambda: _publish(groups, event))


class LayerMessage(TypedDict):
    """What travels through the channel layer to the consumers."""

    type: Literal["domain.event"]
    event: DomainEvent
    audience: Literal["organisation", "news", "user"]
    # Organisation sequence number; None if it could not be taken (Redis down): clients
    # treat a missing number as a gap and resynchronise.
    seq: int | None
    # The shift as the board shows it, read after the number was taken (see sequence.py).
    board_shift: BoardShift | None
    # Set by the first board consumer of a process that encodes the message (consumers.py).
    board_text: NotRequired[str]


_in_memory_lock = threading.Lock()


def _publish(groups: list[str], event: DomainEvent) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, InMemoryChannelLayer):
        # One process by definition, and its queues belong to the consumers' event loop:
        # publish right here, in the committing thread; one at a time, so that events are
        # sent in the order of their numbers.
        with _in_memory_lock:
            _deliver(layer, [(groups, event)])
        return
    _publisher().put(groups, event)


def flush_events(timeout: float = PUBLISH_TIMEOUT_SECONDS) -> bool:
    """Wait until every event committed so far in this process has been published (or given
    up on). True if the queue emptied within ``timeout``. Runs at exit too."""
    if _publisher.cache_info().currsize == 0:
        return True  # nothing was ever queued in this process
    return _publisher().flush(timeout)


Item = tuple[list[str], DomainEvent]


class _Publisher:
    """Publishes the committed events of this process from one thread, in batches.

    A claim request only queues its event (microseconds) and returns. The thread takes
    everything queued so far (up to ``MAX_BATCH``) and publishes it with one Redis round trip
    for the sequence numbers, two queries for the board rows of all shifts concerned and the
    group sends in order: under load, the per-event cost shrinks as batches grow.

    The queue holds events for milliseconds. Like the channel layer itself it is at most once:
    if the process dies between commit and publishing, boards miss those events until their
    next snapshot. If the queue is full (Redis unreachable for long), events are dropped but
    their numbers are still taken, so boards see the gap and resynchronise.
    """

    MAX_BATCH = 500
    MAX_QUEUED = 10_000

    def __init__(self) -> None:
        self.queue: queue.Queue[Item] = queue.Queue(maxsize=self.MAX_QUEUED)
        self.lock = threading.Lock()
        self.dropped: Counter[int] = Counter()
        self.thread = threading.Thread(target=self._run, name="inzet-events", daemon=True)
        self.thread.start()
        atexit.register(self.flush, PUBLISH_TIMEOUT_SECONDS)

    def put(self, groups: list[str], event: DomainEvent) -> None:
        try:
            self.queue.put_nowait((groups, event))
        except queue.Full:
            with self.lock:
                self.dropped[event["organisation_id"]] += 1
            logger.warning("event queue full: dropped %s", event["type"])

    def flush(self, timeout: float) -> bool:
        # Queue.join() without its unbounded wait: the same condition, with a timeout.
        with self.queue.all_tasks_done:
            return self.queue.all_tasks_done.wait_for(
                lambda: self.queue.unfinished_tasks == 0, timeout
            )

    def _run(self) -> None:
        while True:
            batch = [self.queue.get()]
            while len(batch) < self.MAX_BATCH:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            with self.lock:
                dropped, self.dropped = self.dropped, Counter()
            try:
                _deliver(get_channel_layer(), batch, dropped=dropped)
            except Exception:
                logger.exception("could not publish %d events", len(batch))
            finally:
                # This thread's database connection goes back (to the pool) between batches.
                connection.close()
                for _ in batch:
                    self.queue.task_done()


@cache
def _publisher() -> _Publisher:
    return _Publisher()


def _deliver(
    layer: BaseChannelLayer | None, items: list[Item], dropped: Counter[int] | None = None
) -> None:
    """Number, read and send ``items`` (in order). ``dropped`` numbers are taken and skipped."""
    if layer is None:
        return
    counts: Counter[int] = Counter(dropped or {})
    counts.update(event["organisation_id"] for _, event in items)
    numbers: dict[int, int] | None
    try:
        numbers = next_sequences(dict(counts))
    except redis.RedisError:
        logger.warning("could not number %d events", len(items))
        numbers = None
    if numbers is not None and dropped:
        # The dropped events' numbers come first: boards see a gap and resynchronise.
        for organisation_id, n in dropped.items():
            numbers[organisation_id] += n
    # Read after numbering: the row sent with a higher number is then never older than one
    # sent with a lower number, so applying events in order converges on the database.
    rows = board_shifts(shift_ids=sorted({event["shift"]["id"] for _, event in items}))
    messages: list[tuple[str, LayerMessage]] = []
    for groups, event in items:
        seq: int | None = None
        if numbers is not None:
            seq = numbers[event["organisation_id"]]
            numbers[event["organisation_id"]] += 1
        row = rows.get(event["shift"]["id"])
        messages += [
            (
                group,
                {
                    "type": "domain.event",
                    "event": event,
                    "audience": _audience(group),
                    "seq": seq,
                    "board_shift": row,
                },
            )
            for group in groups
        ]
    what = items[0][1]["type"] if len(items) == 1 else f"{len(items)} events"
    if isinstance(layer, InMemoryChannelLayer):
        # Its queues belong to the consumers' event loop: send from that loop.
        async_to_sync(_group_send_all)(layer, messages, what)
        return
    try:
        asyncio.run_coroutine_threadsafe(
            _group_send_all(layer, messages, what), _publisher_loop()
        ).result(timeout=PUBLISH_TIMEOUT_SECONDS)
    except Exception:
        logger.warning("could not publish %s in time", what, exc_info=True)


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


def _audience(group: str) -> Literal["organisation", "news", "user"]:
    if group.startswith("org."):
        return "organisation"
    return "news" if group.startswith("news.") else "user"


async def _group_send_all(
    layer: BaseChannelLayer, messages: list[tuple[str, LayerMessage]], event_type: str
) -> None:
    """Send in order within each group; different groups concurrently."""
    by_group: dict[str, list[LayerMessage]] = {}
    for group, message in messages:
        by_group.setdefault(group, []).append(message)

    async def send(group: str, queued: list[LayerMessage]) -> None:
        for message in queued:
            try:
                await layer.group_send(group, message)
            except Exception:
                logger.warning("could not publish %s to %s", event_type, group, exc_info=True)

    await asyncio.gather(*(send(group, queued) for group, queued in by_group.items()))


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

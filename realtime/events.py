"""Domain events: group names, payload shapes and the one publishing function.

Services call :func:`publish_on_commit`; nothing else sends to the channel layer. Events are
hints for live views (the channel layer delivers at most once): anything a person must receive
is stored in the database by the service that caused it.
"""

from __future__ import annotations

import asyncio
import atexit
import itertools
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, NotRequired, TypedDict

import redis
from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer
from channels_redis.core import RedisChannelLayer  # type: ignore[import-untyped]
from django.db import connection, transaction

from backend.board.selectors import BoardShift, board_shifts
from backend.organisations.models import Organisation
from realtime.sequence import next_sequences

logger = logging.getLogger(__name__)

PUBLISH_TIMEOUT_SECONDS = 5
# A batch that cannot be sent (Redis restarting, a pooled connection to the server before
# the restart) is tried again on fresh connections after each of these pauses, the last one
# repeating, for at most RETRY_FOR_SECONDS; newer events wait behind it, so order is kept.
RETRY_DELAYS_SECONDS = (0.0, 0.25, 0.5, 1.0, 2.0)
RETRY_FOR_SECONDS = 10.0

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
    # Organisation sequence number. This code sends only numbered events (while Redis cannot
    # number them they wait, see _Publisher); None stays in the protocol, as a gap.
    seq: int | None
    # The shift as the board shows it, read after the number was taken (see sequence.py).
    board_shift: BoardShift | None
    # Set by the first board consumer of a process that encodes the message (consumers.py).
    board_text: NotRequired[str]


_in_memory_lock = threading.Lock()


def _publish(groups: list[str], event: DomainEvent) -> None:
    # Runs after the commit, in the committing request: whatever goes wrong here must not
    # turn a committed claim into an error response. Boards catch up at their next snapshot.
    try:
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
    except Exception:
        logger.exception("could not publish %s", event["type"])


def flush_events(timeout: float = PUBLISH_TIMEOUT_SECONDS) -> bool:
    """Wait until every event committed so far in this process has been published (or given
    up on). True if the queue emptied within ``timeout``. Runs at exit too."""
    if _publisher.cache_info().currsize == 0:
        return True  # nothing was ever queued in this process
    return _publisher().flush(timeout)


Item = tuple[list[str], DomainEvent]
# One message for one group.
Message = tuple[str, LayerMessage]


@dataclass
class _Outcome:
    """What one attempt at publishing left to do."""

    # Numbered and read, but not sent: sent again as they are, with their numbers.
    unsent: list[Message] = field(default_factory=list)
    # Not numbered (Redis unreachable): numbered, read and sent on the next attempt.
    unnumbered: list[Item] = field(default_factory=list)
    # Numbers of dropped events still to take, so that boards see the gap.
    dropped: Counter[int] = field(default_factory=Counter)

    @property
    def pending(self) -> bool:
        return bool(self.unsent or self.unnumbered)


class _Publisher:
    """Publishes the committed events of this process from one thread, in batches.

    A claim request only queues its event (microseconds) and returns. The thread takes
    everything queued so far (up to ``MAX_BATCH``) and publishes it with one Redis round trip
    for the sequence numbers, two queries for the board rows of all shifts concerned and the
    group sends in order: under load, the per-event cost shrinks as batches grow.

    A batch that cannot be numbered or sent is tried again with back-off, on fresh
    connections, for at most ``RETRY_FOR_SECONDS``, keeping the numbers it already took;
    events queued meanwhile wait behind it. Why: after a Redis restart the pooled connections
    lead to the old server and the first send on each fails, and a board that has already
    resubscribed would otherwise miss that event until some later change.

    The queue holds events for milliseconds, or for the retries. Like the channel layer
    itself it is at most once: if the process dies between commit and publishing, boards miss
    those events until their next snapshot. Events given up on, and events dropped because
    the queue is full (Redis unreachable for long), still take their numbers with the next
    batch, so boards see the gap and resynchronise.
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
            self._drop(Counter([event["organisation_id"]]))
            logger.warning("event queue full: dropped %s", event["type"])

    def _drop(self, counts: Counter[int]) -> None:
        with self.lock:
            self.dropped.update(counts)

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
                self._publish(batch, dropped)
            except Exception:
                logger.exception("could not publish %d events", len(batch))
            finally:
                # This thread's database connection goes back (to the pool) between batches.
                connection.close()
                for _ in batch:
                    self.queue.task_done()

    def _publish(self, batch: list[Item], dropped: Counter[int]) -> None:
        layer = get_channel_layer()
        outcome = _deliver(layer, batch, dropped=dropped)
        started = time.monotonic()
        for attempt in itertools.count():
            if not outcome.pending:
                if attempt:
                    logger.warning("published %s on retry %d", _what(batch), attempt)
                self._drop(outcome.dropped)
                return
            delay = RETRY_DELAYS_SECONDS[min(attempt, len(RETRY_DELAYS_SECONDS) - 1)]
            if time.monotonic() - started + delay > RETRY_FOR_SECONDS:
                break
            if not attempt:
                logger.warning("could not publish %s yet; trying again", _what(batch))
            time.sleep(delay)
            _fresh_connections(layer)
            try:
                outcome = _deliver(
                    layer, outcome.unnumbered, dropped=outcome.dropped, unsent=outcome.unsent
                )
            except Exception:
                # The database, say; the next attempt may find it back.
                logger.warning("publishing attempt %d failed", attempt + 1, exc_info=True)
        # Unsent events already took their numbers; unnumbered ones take theirs with the
        # next batch. Either way boards see a gap then; and as Redis restarted or was
        # unreachable, the watchdog sends them a new snapshot anyway (realtime/watchdog.py).
        unnumbered = Counter(event["organisation_id"] for _, event in outcome.unnumbered)
        self._drop(outcome.dropped + unnumbered)
        logger.warning(
            "gave up publishing %s after %.0f s: %d message(s) unsent, %d event(s) unnumbered",
            _what(batch),
            time.monotonic() - started,
            len(outcome.unsent),
            len(outcome.unnumbered),
        )


@cache
def _publisher() -> _Publisher:
    return _Publisher()


def _what(items: Sequence[Item]) -> str:
    return items[0][1]["type"] if len(items) == 1 else f"{len(items)} events"


def _deliver(
    layer: BaseChannelLayer | None,
    items: list[Item],
    dropped: Counter[int] | None = None,
    unsent: Sequence[Message] = (),
) -> _Outcome:
    """Send ``unsent`` again, then number, read and send ``items`` (in order).

    ``dropped`` numbers are taken and skipped. Returns what is left to do, for a later
    attempt: nothing is lost here, and nothing is sent out of order.
    """
    dropped = Counter(dropped or {})
    if layer is None:
        return _Outcome()
    if unsent:
        failed = _send(layer, unsent)
        if failed:
            return _Outcome(unsent=failed, unnumbered=items, dropped=dropped)
    if not items:
        return _Outcome(dropped=dropped)
    counts = dropped + Counter(event["organisation_id"] for _, event in items)
    try:
        numbers = next_sequences(dict(counts))
    except redis.RedisError:
        return _Outcome(unnumbered=items, dropped=dropped)
    # The dropped events' numbers come first: boards see a gap and resynchronise.
    for organisation_id, n in dropped.items():
        numbers[organisation_id] += n
    # Read after numbering: the row sent with a higher number is then never older than one
    # sent with a lower number, so applying events in order converges on the database.
    rows = board_shifts(shift_ids=sorted({event["shift"]["id"] for _, event in items}))
    messages: list[Message] = []
    for groups, event in items:
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
    return _Outcome(unsent=_send(layer, messages))


def _send(layer: BaseChannelLayer, messages: Sequence[Message]) -> list[Message]:
    """Send ``messages``; returns those that were not sent (in order)."""
    if isinstance(layer, InMemoryChannelLayer):
        # Its queues belong to the consumers' event loop: send from that loop.
        return async_to_sync(_group_send_all)(layer, messages)
    future = asyncio.run_coroutine_threadsafe(_group_send_all(layer, messages), _publisher_loop())
    try:
        return future.result(timeout=PUBLISH_TIMEOUT_SECONDS)
    except TimeoutError:
        # All of them again: a message sent twice carries its number twice, and clients
        # ignore numbers they have already seen.
        future.cancel()
        logger.warning("could not publish %d message(s) in time", len(messages))
        return list(messages)


def _fresh_connections(layer: BaseChannelLayer | None) -> None:
    """Drop the publishing loop's idle connections to Redis, so the next send opens new ones.

    After a Redis restart they lead to the old server, and redis-py, as channels_redis
    configures it, does not retry a command: each stale connection fails one send. Only this
    loop's pool: the connections of a web process's consumers belong to its own event loop.
    """
    if not isinstance(layer, RedisChannelLayer):
        return

    async def disconnect() -> None:
        for index in range(layer.ring_size):
            await layer.connection(index).connection_pool.disconnect(inuse_connections=False)

    try:
        asyncio.run_coroutine_threadsafe(disconnect(), _publisher_loop()).result(
            timeout=PUBLISH_TIMEOUT_SECONDS
        )
    except Exception:
        logger.warning("could not drop the pooled Redis connections", exc_info=True)


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
    message: NotificationMessage = {"type": "user.notification", "notification": notification}
    _send_now([user_group(user_id)], message, what=f"a {notification['kind']} notification")


class SuggestedShift(TypedDict):
    """A shift's board row as a volunteer's own stream shows it: without ``volunteers``."""

    id: int
    title: str
    mode: str
    status: str
    starts_at: str
    ends_at: str
    capacity: int
    confirmed_count: int
    waitlist_count: int
    claims_open_at: str | None


class SuggestionMessage(TypedDict):
    type: Literal["shift.suggested"]
    shift: SuggestedShift


# Group sends in flight at once when a shift is suggested to many volunteers.
SUGGEST_CONCURRENCY = 100


def publish_shift_suggested(shift_id: int, user_ids: Sequence[int]) -> int:
    """Tell each of ``user_ids`` (volunteers who could claim the shift) on their own stream,
    now: one read of the row, then the group sends, ``SUGGEST_CONCURRENCY`` at a time.

    Called by the notification worker, outside any transaction; best effort like every
    event (the shift is in the app's list in any case). The number of groups sent to."""
    if not user_ids:
        return 0
    row = board_shifts(shift_ids=[shift_id]).get(shift_id)
    if row is None:
        return 0
    shift: SuggestedShift = {
        "id": row["id"],
        "title": row["title"],
        "mode": row["mode"],
        "status": row["status"],
        "starts_at": row["starts_at"],
        "ends_at": row["ends_at"],
        "capacity": row["capacity"],
        "confirmed_count": row["confirmed_count"],
        "waitlist_count": row["waitlist_count"],
        "claims_open_at": row["claims_open_at"],
    }
    message: SuggestionMessage = {"type": "shift.suggested", "shift": shift}
    groups = [user_group(user_id) for user_id in user_ids]
    layer = get_channel_layer()
    if layer is None:
        return 0

    async def send() -> int:
        failed = 0
        for start in range(0, len(groups), SUGGEST_CONCURRENCY):
            batch = groups[start : start + SUGGEST_CONCURRENCY]
            outcomes = await asyncio.gather(
                *(layer.group_send(group, message) for group in batch), return_exceptions=True
            )
            failed += sum(isinstance(outcome, BaseException) for outcome in outcomes)
        return failed

    try:
        if isinstance(layer, InMemoryChannelLayer):
            failed = async_to_sync(send)()
        else:
            # A second per hundred groups on top of the usual wait: a large organisation's
            # suggestion is many small sends.
            timeout = PUBLISH_TIMEOUT_SECONDS + len(groups) / SUGGEST_CONCURRENCY
            failed = asyncio.run_coroutine_threadsafe(send(), _publisher_loop()).result(timeout)
    except Exception:
        logger.warning("could not suggest shift %s", shift_id, exc_info=True)
        return 0
    if failed:
        logger.warning("could not suggest shift %s to %d of %d", shift_id, failed, len(groups))
    return len(groups) - failed


class AccessMessage(TypedDict):
    """Someone's right to what their sockets show may have ended (a role lowered, a
    membership ended, the account erased or deactivated, its password changed): their
    consumers check it again and close if it has (board: 4403; a lost account or an old
    password: 4401)."""

    type: Literal["access.changed"]
    user_id: int


def publish_access_changed_on_commit(*, user_id: int, organisation_ids: Sequence[int]) -> None:
    """After commit, tell ``user_id``'s sockets: their own stream, and the boards of these
    organisations (boards follow the organisation's group through the hub)."""
    message: AccessMessage = {"type": "access.changed", "user_id": user_id}
    groups = [user_group(user_id), *(organisation_group(i) for i in organisation_ids)]
    transaction.on_commit(lambda: _send_now(groups, message, what="an access change"))


def publish_password_changed_on_commit(*, user_id: int, is_staff: bool) -> None:
    """A new password ends every socket of the account (4401): its own stream, and its
    boards, which hear the groups of its organisations. Staff may watch any
    organisation's board, so for them every organisation's group is told."""
    organisations = Organisation.objects.all()
    if not is_staff:
        organisations = organisations.filter(memberships__user_id=user_id)
    publish_access_changed_on_commit(
        user_id=user_id, organisation_ids=list(organisations.values_list("pk", flat=True))
    )


def _send_now(groups: Sequence[str], message: Any, *, what: str) -> None:
    """Best effort, from the caller's thread: logged, never raised."""
    layer = get_channel_layer()
    if layer is None:
        return

    async def send() -> None:
        for group in groups:
            await layer.group_send(group, message)

    def send_from_the_publishing_loop() -> None:
        asyncio.run_coroutine_threadsafe(send(), _publisher_loop()).result(
            timeout=PUBLISH_TIMEOUT_SECONDS
        )

    try:
        if isinstance(layer, InMemoryChannelLayer):
            async_to_sync(send)()
            return
        try:
            send_from_the_publishing_loop()
        except redis.RedisError:
            # A pooled connection to a Redis that has since restarted: once more, on a new one.
            _fresh_connections(layer)
            send_from_the_publishing_loop()
    except Exception:
        logger.warning("could not publish %s", what, exc_info=True)


def _audience(group: str) -> Literal["organisation", "news", "user"]:
    if group.startswith("org."):
        return "organisation"
    return "news" if group.startswith("news.") else "user"


async def _group_send_all(layer: BaseChannelLayer, messages: Sequence[Message]) -> list[Message]:
    """Send in order within each group, different groups concurrently.

    Returns the messages not sent, in order: in each group the first that failed and all
    after it, since sending those now would put a later number before an earlier one.
    """
    by_group: dict[str, list[int]] = {}
    for index, (group, _) in enumerate(messages):
        by_group.setdefault(group, []).append(index)
    failed: list[int] = []

    async def send(group: str, indexes: list[int]) -> None:
        for position, index in enumerate(indexes):
            message = messages[index][1]
            try:
                await layer.group_send(group, message)
            except Exception as error:
                event_type = message["event"]["type"]
                reason = str(error) or type(error).__name__
                logger.warning("could not publish %s to %s: %s", event_type, group, reason)
                failed.extend(indexes[position:])
                return

    await asyncio.gather(*(send(group, indexes) for group, indexes in by_group.items()))
    return [messages[index] for index in sorted(failed)]


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

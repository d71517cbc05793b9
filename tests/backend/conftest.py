"""Fixtures for the domain service tests: shifts at times relative to now, and a listener on
the channel layer that stands where a websocket consumer would."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from channels.layers import BaseChannelLayer, get_channel_layer
from django.db import connection

from backend.accounts.models import User
from backend.shifts.models import Shift
from realtime.events import DomainEvent, flush_events
from tests.factories import ShiftFactory, shift_at  # noqa: F401 (re-exported)

T = TypeVar("T")
MakeShift = Callable[..., Shift]
# The root conftest's ``make_volunteer``: a new volunteer member (of ``organisation`` by default).
MakeVolunteer = Callable[..., User]


@pytest.fixture
def shared_database(transactional_db: None) -> None:
    """For tests whose threads or processes must see each other's commits.

    SQLite's in-memory test database (the default without DATABASE_URL) is one shared-cache
    connection set with table-level locks that fail at once with "database table is locked"
    instead of waiting, so concurrent writers cannot be tested on it. A file test database
    (``DATABASES["default"]["TEST"]["NAME"]``) works, as does PostgreSQL.
    """
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("the in-memory SQLite test database cannot be shared by concurrent writers")


@pytest.fixture
def make_shift(db: None) -> MakeShift:
    return shift_at


class EventListener:
    """One channel on the channel layer, subscribed to groups like a consumer would be.

    Its channel-layer calls all run on one event loop in a thread of its own, as a consumer's
    would: the Redis layer binds a channel's receive buffer to the loop that first waits on it.
    """

    def __init__(self) -> None:
        layer = get_channel_layer()
        assert layer is not None, "no channel layer configured"
        self.layer: BaseChannelLayer = layer
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.channel: str = self._run(layer.new_channel())
        self.groups: list[str] = []
        # Every layer message received, with its number and board row.
        self.messages: list[dict[str, Any]] = []

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def subscribe(self, group: str) -> None:
        # Events of what the test did before are published from a thread of their own:
        # let them go out first, so only what happens after subscribing arrives.
        flush_events()
        self._run(self.layer.group_add(group, self.channel))
        self.groups.append(group)

    def events(
        self, expected: int = 0, *, timeout: float = 3.0, quiet: float = 0.3
    ) -> list[DomainEvent]:
        """Wait up to ``timeout`` for ``expected`` events, then ``quiet`` seconds for strays.

        Returns everything that arrived, so a test sees extra events as well as missing ones.
        """
        return self._run(self._receive(expected, timeout, quiet))

    async def _receive(self, expected: int, within: float, quiet: float) -> list[DomainEvent]:
        received: list[DomainEvent] = []
        deadline = self.loop.time() + within
        while True:
            wait = deadline - self.loop.time() if len(received) < expected else quiet
            try:
                message = await asyncio.wait_for(self.layer.receive(self.channel), max(wait, 0.01))
            except TimeoutError:
                return received
            assert message["type"] == "domain.event"
            self.messages.append(message)
            received.append(message["event"])

    def close(self) -> None:
        for group in self.groups:
            self._run(self.layer.group_discard(group, self.channel))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


@pytest.fixture
def listener() -> Iterator[EventListener]:
    subscriber = EventListener()
    yield subscriber
    subscriber.close()

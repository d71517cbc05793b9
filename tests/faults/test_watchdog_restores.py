"""The watchdog keeps telling a socket that Redis is back until it has rejoined its groups.

After a Redis restart the first command on each pooled connection to the old server fails
("Connection closed by server"). If that command is the group_add of a socket resubscribing,
the socket stays deaf while looking live, unless it is told again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
import redis.asyncio
from channels_redis.core import RedisChannelLayer

from realtime.watchdog import LayerWatchdog
from tests.realtime.live import private_redis

pytestmark = pytest.mark.asyncio

GROUP = "org.1"


class Subscriber:
    """Joins a group on its own channel layer, like the hub of a web process does."""

    def __init__(self, url: str) -> None:
        self.layer = RedisChannelLayer(hosts=[url])
        self.channel = ""
        self.rejoined = 0
        self.failures = 0

    async def join(self) -> None:
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(GROUP, self.channel)

    async def layer_lost(self) -> None:
        pass

    async def layer_restored(self) -> None:
        try:
            await self.layer.group_add(GROUP, self.channel)
        except Exception:
            self.failures += 1
            raise
        self.rejoined += 1


@pytest.mark.slow
async def test_a_socket_whose_resubscribing_failed_is_told_again() -> None:
    with private_redis() as server:
        subscriber = Subscriber(server.url)
        await subscriber.join()  # its pool now holds a connection to this server
        watchdog = LayerWatchdog(server.url)
        watchdog.register(subscriber)
        try:
            await asyncio.sleep(0.3)  # the watchdog has read the marker
            server.stop()
            server.start()
            deadline = time.monotonic() + 6
            while not subscriber.rejoined:
                assert time.monotonic() < deadline, "the subscriber never rejoined its group"
                await asyncio.sleep(0.05)
            client = redis.asyncio.Redis.from_url(server.url)
            members = await client.zrange(f"asgi:group:{GROUP}", 0, -1)
            await client.aclose()
        finally:
            watchdog.unregister(subscriber)
            if watchdog.task is not None:
                watchdog.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watchdog.task
            await subscriber.layer.close_pools()
    assert subscriber.failures == 1  # the stale connection, once
    assert members == [subscriber.channel.encode()]

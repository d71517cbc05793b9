"""Notices Redis restarts, so connected consumers subscribe again and resend snapshots.

Why this is needed: channels_redis keeps group memberships in Redis. When Redis restarts
(without persistence) the memberships are gone, but a consumer's own receive loop reconnects
quietly, so it stays connected and hears nothing more: a deaf board that looks live. Events
published while Redis was down are lost as well.

How: once a second each process reads a marker key. The first process to find it missing
sets a new random value (``SET NX``); a process that sees a value other than the last one it
saw, or that could not reach Redis before, knows its consumers lost their groups and tells
each of them (``layer_lost`` / ``layer_restored``: they send ``{"type": "status", "live":
false}`` and, on return, ``"live": true`` followed by a snapshot or ``ready``). If joining
their groups fails (Redis failing again, or the first command on a pooled connection to the
old server, which redis-py as channels_redis configures it does not retry), they are told
again at the next check: until they have joined, they are as deaf as before. One watchdog
runs per event loop, only while consumers are connected, and only with the Redis layer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import weakref
from typing import Protocol, cast

import redis
import redis.asyncio
from django.conf import settings

logger = logging.getLogger(__name__)

MARKER_KEY = "inzet:layer:epoch"
CHECK_EVERY_SECONDS = 1.0


class LayerListener(Protocol):
    async def layer_lost(self) -> None: ...

    async def layer_restored(self) -> None: ...


class LayerWatchdog:
    def __init__(self, url: str) -> None:
        self.url = url
        self.listeners: weakref.WeakSet[LayerListener] = weakref.WeakSet()
        self.task: asyncio.Task[None] | None = None
        self.seen: bytes | None = None
        self.healthy = True
        # Redis is back but some listener could not join its groups yet.
        self.restoring = False

    def register(self, listener: LayerListener) -> None:
        self.listeners.add(listener)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    def unregister(self, listener: LayerListener) -> None:
        self.listeners.discard(listener)

    async def _run(self) -> None:
        client = redis.asyncio.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1)
        try:
            with contextlib.suppress(redis.RedisError):
                self.seen = await self._marker(client)
            while self.listeners:
                await asyncio.sleep(CHECK_EVERY_SECONDS)
                await self._check(client)
        finally:
            with contextlib.suppress(Exception):
                await client.aclose()

    async def _marker(self, client: redis.asyncio.Redis) -> bytes | None:
        await client.set(MARKER_KEY, uuid.uuid4().hex, nx=True)
        # The client doesn't decode responses; the stubs can't know that.
        value = cast("bytes | None", await client.get(MARKER_KEY))
        return value

    async def _check(self, client: redis.asyncio.Redis) -> None:
        try:
            marker = await self._marker(client)
        except redis.RedisError:
            if self.healthy:
                self.healthy = False
                logger.warning("Redis unreachable: live events are not delivered meanwhile")
                await self._tell("layer_lost")
            return
        if self.healthy and marker == self.seen:
            return
        if not self.restoring:
            logger.warning("Redis is back (or was restarted): resubscribing connected sockets")
        self.seen = marker
        self.healthy = await self._tell("layer_restored")
        self.restoring = not self.healthy

    async def _tell(self, method: str) -> bool:
        """Call ``method`` on every listener; False if Redis failed under one of them."""
        told = True
        for listener in list(self.listeners):
            try:
                await getattr(listener, method)()
            except (redis.RedisError, OSError):
                logger.warning("Redis failed while telling a socket; trying again", exc_info=True)
                told = False
            except Exception:
                logger.warning("could not tell a socket about the channel layer", exc_info=True)
        return told


_watchdogs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LayerWatchdog] = (
    weakref.WeakKeyDictionary()
)


def watch(listener: LayerListener) -> None:
    """Tell ``listener`` when Redis goes away and comes back (no-op without Redis)."""
    url: str = settings.REDIS_URL
    if not url:
        return
    loop = asyncio.get_running_loop()
    if loop not in _watchdogs:
        _watchdogs[loop] = LayerWatchdog(url)
    _watchdogs[loop].register(listener)


def unwatch(listener: LayerListener) -> None:
    with contextlib.suppress(RuntimeError):
        watchdog = _watchdogs.get(asyncio.get_running_loop())
        if watchdog is not None:
            watchdog.unregister(listener)

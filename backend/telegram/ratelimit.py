"""Outgoing requests within Telegram's limits, and a retry after a 429.

Telegram allows about 30 messages a second per bot and about one a second per chat; beyond
that it answers 429 with ``retry_after``. We space requests to stay under both, and when a
429 comes anyway we wait what Telegram asked and try again (a few times, then give up).

The spacing is shared by every process that sends for the bot (web processes in webhook
mode, the bot, the notification workers): :class:`SharedLimiter` hands out send slots from
Redis when ``REDIS_URL`` is set (one Lua script, so the slot is taken atomically), and from
process memory otherwise (one process then is the whole bot: ``make run`` without Redis).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import time
import warnings
from collections.abc import Callable, Coroutine
from functools import cache
from typing import Any

from django.conf import settings
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

logger = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]

# After Redis failed, seconds to space sends in the process before asking Redis again (an
# unreachable host would otherwise cost every send the connect timeout).
RETRY_REDIS_AFTER = 5.0

# Attempts after a 429 before the bot's request fails (the worker keeps its own count).
MAX_RETRIES_AFTER_429 = 3

# KEYS[1]: the bot's or a chat's key; ARGV[1]: its interval. Takes the next free moment
# and returns how long the caller must wait for it (a string: Redis would truncate a float).
_RESERVE_SCRIPT = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local slot = math.max(t, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], string.format('%.6f', slot + tonumber(ARGV[1])), 'PX', 60000)
return string.format('%.6f', slot - t)
"""


class SharedLimiter:
    """Send slots: at most ``per_second`` a second for the bot, one per ``chat_interval``
    per chat. A sender first waits for its chat's slot, then takes the bot's next slot and
    waits for that (so a chat waiting its turn never holds a bot slot others could use).

    With ``redis_url`` the slots are shared by every process using the same Redis and bot
    token (a generic cell rate: the next free moment is stored, never a count). The rates
    come from settings through :func:`shared_limiter` (29.5 a second by default, a little
    under Telegram's 30: slots are evenly spaced, but network jitter can bunch requests up on
    arrival); tests give their own.
    """

    def __init__(
        self,
        *,
        per_second: float,
        chat_interval: float,
        redis_url: str = "",
        bot_key: str = "bot",
    ) -> None:
        self.interval = 1 / per_second if per_second > 0 else 0.0
        self.chat_interval = chat_interval
        self._bot_key = f"inzet:telegram:rate:{bot_key}"
        self._redis: Any = None
        self._script: Any = None
        if redis_url:
            import redis

            # One short Lua script per call: an explicit timeout, not the client's default.
            self._redis = redis.Redis.from_url(
                redis_url, socket_timeout=2, socket_connect_timeout=2
            )
            self._script = self._redis.register_script(_RESERVE_SCRIPT)
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}
        self._fell_back = False
        self._failed_at = -RETRY_REDIS_AFTER

    @property
    def shared(self) -> bool:
        return self._redis is not None

    def _reserve(self, key: str, interval: float) -> float:
        if interval <= 0:
            return 0.0
        if self._script is not None and time.monotonic() - self._failed_at >= RETRY_REDIS_AFTER:
            try:
                return max(float(self._script(keys=[key], args=[interval])), 0.0)
            except Exception as error:
                self._failed_at = time.monotonic()
                # Redis is down or restarting: space this process's sends on its own rather
                # than fail them (a reminder or a bot answer is worth more than exact sharing;
                # Telegram's 429 and its retry_after still guard the bot's limit).
                if not self._fell_back:
                    self._fell_back = True
                    logger.warning(
                        "shared Telegram rate limit unreachable (%s): spacing sends in this "
                        "process until it is back (logged once per process)",
                        type(error).__name__,
                    )
        with self._lock:
            now = time.monotonic()
            if len(self._next) > 10_000:
                # Forget keys whose next slot has passed; they need no state.
                self._next = {k: at for k, at in self._next.items() if at > now}
            slot = max(now, self._next.get(key, 0.0))
            self._next[key] = slot + interval
            return slot - now

    def reserve_chat(self, chat_id: int | str | None) -> float:
        """Take the chat's next slot; the seconds to wait for it."""
        if chat_id is None:
            return 0.0
        return self._reserve(f"{self._bot_key}:chat:{chat_id}", self.chat_interval)

    def reserve_bot(self) -> float:
        """Take the bot's next slot; the seconds to wait for it."""
        return self._reserve(self._bot_key, self.interval)

    def wait(self, chat_id: int | str | None) -> None:
        """Block until this thread may send (for synchronous senders: the worker)."""
        for reserve in (lambda: self.reserve_chat(chat_id), self.reserve_bot):
            delay = reserve()
            if delay > 0:
                time.sleep(delay)

    async def wait_async(self, chat_id: int | str | None) -> None:
        for reserve in (lambda: self.reserve_chat(chat_id), self.reserve_bot):
            if self._redis is not None:
                # A Redis round trip is a blocking call: keep it off the event loop.
                delay = await asyncio.to_thread(reserve)
            else:
                delay = reserve()
            if delay > 0:
                await asyncio.sleep(delay)


@cache
def shared_limiter() -> SharedLimiter:
    """The process's limiter for the configured bot: shared through Redis if configured."""
    # The bot's id (the token's part before the colon) names the slots: two bots, two limits.
    bot_id = settings.TELEGRAM_BOT_TOKEN.partition(":")[0] or "bot"
    return SharedLimiter(
        redis_url=settings.REDIS_URL,
        bot_key=bot_id,
        per_second=settings.TELEGRAM_MESSAGES_PER_SECOND,
        chat_interval=settings.TELEGRAM_CHAT_INTERVAL_SECONDS,
    )


def _seconds(error: RetryAfter) -> float:
    # v22 returns int (and warns) unless PTB_TIMEDELTA is set; v23 returns a timedelta.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        retry_after = error.retry_after
    if isinstance(retry_after, dt.timedelta):
        return retry_after.total_seconds()
    return float(retry_after)


class PoliteRateLimiter(BaseRateLimiter[None]):
    """python-telegram-bot's hook for the bot's own requests. By default it uses the shared
    limiter (so web processes, the bot and the workers together stay within the limits);
    tests give a ``limiter`` of their own."""

    def __init__(self, *, limiter: SharedLimiter | None = None) -> None:
        self._limiter = limiter

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def _shared(self) -> SharedLimiter:
        if self._limiter is None:
            self._limiter = shared_limiter()
        return self._limiter

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> JSONResult:
        chat_id = data.get("chat_id")
        # Answers to button presses carry no chat and must be quick; they are not spaced.
        spaced = chat_id is not None
        attempt = 0
        while True:
            if spaced:
                await self._shared().wait_async(chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                attempt += 1
                if attempt > MAX_RETRIES_AFTER_429:
                    raise
                delay = _seconds(exc)
                logger.warning("Telegram asked to wait %.1fs before %s", delay, endpoint)
                await asyncio.sleep(delay)

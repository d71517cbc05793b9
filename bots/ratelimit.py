"""Outgoing requests within Telegram's limits, and a retry after a 429.

Telegram allows about 30 messages a second per bot and about one a second per chat; beyond
that it answers 429 with ``retry_after``. We space requests to stay under both, and when a
429 comes anyway we wait what Telegram asked and try again (a few times, then give up).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

logger = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


class _Spacer:
    """Lets callers through at most once every ``interval`` seconds, in arrival order."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if self.interval <= 0:
            return
        async with self._lock:
            loop = asyncio.get_running_loop()
            delay = self._next - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next = max(self._next, loop.time()) + self.interval

    def idle(self) -> bool:
        return not self._lock.locked() and asyncio.get_running_loop().time() >= self._next


def _seconds(error: RetryAfter) -> float:
    # v22 returns int (and warns) unless PTB_TIMEDELTA is set; v23 returns a timedelta.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        retry_after = error.retry_after
    if isinstance(retry_after, dt.timedelta):
        return retry_after.total_seconds()
    return float(retry_after)


class PoliteRateLimiter(BaseRateLimiter[None]):
    def __init__(
        self,
        *,
        per_second: float = 30,
        per_chat_interval: float = 1.0,
        max_retries: int = 3,
    ) -> None:
        self._overall = _Spacer(1 / per_second if per_second > 0 else 0)
        self._per_chat_interval = per_chat_interval
        self._chats: dict[int | str, _Spacer] = {}
        self._max_retries = max_retries

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        self._chats.clear()

    def _chat(self, chat_id: int | str) -> _Spacer:
        if len(self._chats) > 10_000:
            # Forget chats that can send right away; they need no spacing state.
            self._chats = {key: s for key, s in self._chats.items() if not s.idle()}
        return self._chats.setdefault(chat_id, _Spacer(self._per_chat_interval))

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
                await self._overall.wait()
                await self._chat(chat_id).wait()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                attempt += 1
                if attempt > self._max_retries:
                    raise
                delay = _seconds(exc)
                logger.warning("Telegram asked to wait %.1fs before %s", delay, endpoint)
                await asyncio.sleep(delay)

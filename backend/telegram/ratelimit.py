"""Outgoing requests within Telegram's limits, and a retry after a 429.

Telegram allows about 30 messages a second per bot and about one a second per chat; beyond
that it answers 429 with ``retry_after``. We space requests to stay under both, and when a
429 comes anyway we wait what Telegram asked and try again (a few times, then give up).

The limit is judged when a message goes out, not when its sender started to wait. Booking a
slot and sleeping until it was not enough: a sender that woke late (a busy event loop, a
thread pool full of database work, another process) went out together with the punctual
ones after it, and a burst that met a 0.3 s stall put 38 messages into one second. So the
last step before the HTTP call is one atomic check-and-record (:meth:`SharedLimiter.sending`).

Even that moment is not the moment Telegram counts: the request still crosses the event
loop, httpx and the network, and under load that took up to 0.15 s in our tests, enough to
bunch 31 messages into a second at 29.5 a second. What we do know is that a message reached
Telegram before its answer came back. So each message also stays in a log of sends until a
second after its answer, and no more than 30 may be in it: any 31 messages then reach Telegram
at least a second apart, however late each one went.

All of this is shared by every process that sends for the bot (web processes in webhook
mode, the bot, the notification workers): in Redis when ``REDIS_URL`` is set (one Lua script
before the send, one after its answer), and in process memory otherwise (one process then is
the whole bot: ``make run`` without Redis).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import logging
import math
import secrets
import threading
import time
import warnings
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any, Literal

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

# How late a send may be without losing its place: the bot's next moment is counted from
# its due moment, not from the late send, if the send was at most this late. Each turn of the
# line crosses the event loop, and under load that cost ~30 ms a turn: counted from the late
# sends, a burst went at 16 a second. Catching up sends a few close together; the log of
# sends still holds any second to 30.
CATCH_UP = 0.1

# Seconds a message counts as on its way if its answer never comes (the process died): longer
# than any request may take (python-telegram-bot's and the worker's timeouts add up to less).
IN_FLIGHT_LEASE = 30.0

# While the log is full of messages still on their way, ask again after this long.
POLL_WHILE_IN_FLIGHT = 0.05

# KEYS: the bot's next moment, its log of sends, and the chat's next moment (absent for
# none). ARGV: the bot's interval, the chat's, CATCH_UP, the most messages in a second (0: no
# log), this send's name, IN_FLIGHT_LEASE, POLL_WHILE_IN_FLIGHT. The moments are Redis's
# clock; a send in the log is scored with the latest moment it can have reached Telegram. If
# the chat's and the bot's moments have come and the log has room, records this send and
# returns {'go', seconds until the bot's next}; else records nothing and returns {'chat' or
# 'bot', seconds to wait} (strings: Redis would truncate a float).
_SEND_SCRIPT = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
if KEYS[3] then
  local chat = tonumber(redis.call('GET', KEYS[3]) or '0')
  if chat > t then return {'chat', string.format('%.6f', chat - t)} end
end
local bot = tonumber(redis.call('GET', KEYS[1]) or '0')
if bot > t then return {'bot', string.format('%.6f', bot - t)} end
if tonumber(ARGV[4]) > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', t - 1)
  if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then
    local first = tonumber(redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')[2])
    local wait = first + 1 - t
    if first > t then wait = tonumber(ARGV[7]) end
    return {'bot', string.format('%.6f', wait)}
  end
  local lease = tonumber(ARGV[6])
  redis.call('ZADD', KEYS[2], t + lease, ARGV[5])
  redis.call('EXPIRE', KEYS[2], math.ceil(lease) + 2)
end
local next = t
if t - bot <= tonumber(ARGV[3]) then next = bot end
next = next + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.6f', next), 'PX', 60000)
if KEYS[3] then
  redis.call('SET', KEYS[3], string.format('%.6f', t + tonumber(ARGV[2])), 'PX', 60000)
end
return {'go', string.format('%.6f', next - t)}
"""

# KEYS: the log of sends, the chat's next moment (absent for none). ARGV: the send's name,
# the chat's interval. Its answer came: it reached Telegram by now (if the log still has it),
# and the chat's next message goes a chat interval after that.
_ANSWERED_SCRIPT = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
redis.call('ZADD', KEYS[1], 'XX', t, ARGV[1])
if KEYS[2] then
  local chat = math.max(tonumber(redis.call('GET', KEYS[2]) or '0'), t + tonumber(ARGV[2]))
  redis.call('SET', KEYS[2], string.format('%.6f', chat), 'PX', 60000)
end
return 1
"""

Verdict = Literal["go", "chat", "bot"]
_VERDICTS: dict[bytes, Verdict] = {b"go": "go", b"chat": "chat", b"bot": "bot"}


class SharedLimiter:
    """At most ``per_second`` messages a second for the bot, evenly spaced, and never more
    than its ceiling (30 by default) counted from a second after their answers; one per
    ``chat_interval`` per chat, counted from the answer too. Judged right before each send.

    With ``redis_url`` the limits are shared by every process using the same Redis and bot
    token. The rates come from settings through :func:`shared_limiter` (29.5 a second by
    default, a little under Telegram's 30: evenly spaced sends keep a little room); tests give
    their own.

    In a process, senders queue in line (first come, first served) and only the first asks
    Redis, when this process's own last send says the bot is free again: a hundred waiting
    answers cost one round trip each, not one per waiter per slot. A sender whose chat is not
    free yet waits for it outside the line, so it never holds up other chats.
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
        # 29.5 a second: no more than 30 may reach Telegram in any second (0: no bot limit).
        self.most_in_a_second = math.ceil(per_second) if per_second > 0 else 0
        self.chat_interval = max(chat_interval, 0.0)
        # Braces: the bot's and its chats' keys share a Redis Cluster slot, as one script needs.
        self._bot_key = f"inzet:telegram:rate:{{{bot_key}}}"
        self._log_key = f"{self._bot_key}:sent"
        # Names for the log: unique across processes and hosts sharing the Redis.
        self._name_prefix = secrets.token_hex(6)
        self._name_numbers = itertools.count()
        self._redis: Any = None
        self._send_script: Any = None
        self._answered_script: Any = None
        self._executor: ThreadPoolExecutor | None = None
        if redis_url:
            import redis

            # One short Lua script per call: an explicit timeout, not the client's default.
            self._redis = redis.Redis.from_url(
                redis_url, socket_timeout=2, socket_connect_timeout=2
            )
            self._send_script = self._redis.register_script(_SEND_SCRIPT)
            self._answered_script = self._redis.register_script(_ANSWERED_SCRIPT)
            # Threads of its own: in the default pool the check would queue behind the bot's
            # database work, and the line with it.
            self._executor = ThreadPoolExecutor(2, thread_name_prefix="telegram-limit")
        # The in-process state: the fallback's moments and log, and what this process's own
        # sends and answers taught it (when the bot and each chat are free again).
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}
        self._log: dict[str, float] = {}
        self._bot_free_at = 0.0
        self._chat_free_at: dict[str, float] = {}
        self._line = threading.Lock()
        self._lines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._fell_back = False
        self._failed_at = -RETRY_REDIS_AFTER

    @property
    def shared(self) -> bool:
        return self._redis is not None

    @property
    def _unlimited(self) -> bool:
        return self.interval <= 0 and self.chat_interval <= 0

    def _chat_key(self, chat_id: int | str | None) -> str | None:
        if chat_id is None or self.chat_interval <= 0:
            return None
        return f"{self._bot_key}:chat:{chat_id}"

    def _use_redis(self) -> bool:
        return self._redis is not None and time.monotonic() - self._failed_at >= RETRY_REDIS_AFTER

    def _redis_failed(self, error: Exception) -> None:
        self._failed_at = time.monotonic()
        # Redis is down or restarting: space this process's sends on its own rather than fail
        # them (a reminder or a bot answer is worth more than exact sharing; Telegram's 429 and
        # its retry_after still guard the bot's limit).
        if not self._fell_back:
            self._fell_back = True
            logger.warning(
                "shared Telegram rate limit unreachable (%s): spacing sends in this "
                "process until it is back (logged once per process)",
                type(error).__name__,
            )

    def _judge(self, chat_key: str | None, name: str) -> tuple[Verdict, float]:
        """May this send go now? If so, it is recorded as gone."""
        if self._use_redis():
            keys = [self._bot_key, self._log_key] + ([chat_key] if chat_key else [])
            args = [
                *(self.interval, self.chat_interval, CATCH_UP, self.most_in_a_second, name),
                *(IN_FLIGHT_LEASE, POLL_WHILE_IN_FLIGHT),
            ]
            try:
                verdict, seconds = self._send_script(keys=keys, args=args)
                return _VERDICTS[verdict], max(float(seconds), 0.0)
            except Exception as error:
                self._redis_failed(error)
        with self._lock:
            # The script's rule, on this process's clock.
            now = time.monotonic()
            if len(self._next) > 10_000:
                # Forget keys whose next moment has passed; they need no state.
                self._next = {k: at for k, at in self._next.items() if at > now}
            if chat_key is not None and self._next.get(chat_key, 0.0) > now:
                return "chat", self._next[chat_key] - now
            bot = self._next.get(self._bot_key, 0.0)
            if bot > now:
                return "bot", bot - now
            if self.most_in_a_second:
                self._log = {n: at for n, at in self._log.items() if at > now - 1}
                if len(self._log) >= self.most_in_a_second:
                    first = min(self._log.values())
                    return "bot", POLL_WHILE_IN_FLIGHT if first > now else first + 1 - now
                self._log[name] = now + IN_FLIGHT_LEASE
            due = bot if now - bot <= CATCH_UP else now
            self._next[self._bot_key] = due + self.interval
            if chat_key is not None:
                self._next[chat_key] = now + self.chat_interval
            return "go", self._next[self._bot_key] - now

    def _answered(self, chat_key: str | None, name: str) -> None:
        """The send's answer came (or its request failed): it has reached Telegram, if ever."""
        self._answered_here(chat_key, name)
        self._answered_in_redis(chat_key, name)

    def _answered_here(self, chat_key: str | None, name: str) -> None:
        with self._lock:
            now = time.monotonic()
            if chat_key is not None:
                # This process's next message to the chat waits for it without asking Redis.
                free_at = max(self._chat_free_at.get(chat_key, 0.0), now + self.chat_interval)
                self._chat_free_at[chat_key] = free_at
            if name in self._log:
                self._log[name] = min(self._log[name], now)
            if chat_key is not None and chat_key in self._next:
                self._next[chat_key] = max(self._next[chat_key], now + self.chat_interval)

    def _answered_in_redis(self, chat_key: str | None, name: str) -> None:
        if self._use_redis():
            keys = [self._log_key] + ([chat_key] if chat_key else [])
            try:
                self._answered_script(keys=keys, args=[name, self.chat_interval])
            except Exception as error:
                # Not fatal: the send counts until its lease ends, which only slows us down.
                self._redis_failed(error)

    def _learn(self, chat_key: str | None, verdict: Verdict, seconds: float) -> None:
        """Remember when to ask again. Counted from when Redis's verdict came back, so never
        earlier than the moment Redis meant (asking then finds the slot free)."""
        now = time.monotonic()
        with self._lock:
            if verdict == "chat":
                assert chat_key is not None
                if len(self._chat_free_at) > 10_000:
                    self._chat_free_at = {k: at for k, at in self._chat_free_at.items() if at > now}
                self._chat_free_at[chat_key] = now + seconds
                return
            self._bot_free_at = now + seconds
            if verdict == "go" and chat_key is not None:
                self._chat_free_at[chat_key] = now + self.chat_interval

    def _chat_wait(self, chat_key: str | None) -> float:
        if chat_key is None:
            return 0.0
        return max(self._chat_free_at.get(chat_key, 0.0) - time.monotonic(), 0.0)

    def _name(self) -> str:
        # itertools.count is safe to share between threads (a generator is not).
        return f"{self._name_prefix}:{next(self._name_numbers)}"

    def _take(self, chat_key: str | None) -> str:
        """Block until this thread's send may go now; its name in the log."""
        name = self._name()
        while True:
            time.sleep(self._chat_wait(chat_key))
            with self._line:
                while True:
                    time.sleep(max(self._bot_free_at - time.monotonic(), 0.0))
                    verdict, seconds = self._judge(chat_key, name)
                    self._learn(chat_key, verdict, seconds)
                    if verdict != "bot":
                        break
            if verdict == "go":
                return name

    async def _take_async(self, chat_key: str | None) -> str:
        name = self._name()
        loop = asyncio.get_running_loop()
        # One line per event loop: an asyncio lock belongs to one (webhook mode runs several).
        line = self._lines.setdefault(loop, asyncio.Lock())
        while True:
            await asyncio.sleep(self._chat_wait(chat_key))
            async with line:
                while True:
                    await asyncio.sleep(max(self._bot_free_at - time.monotonic(), 0.0))
                    if self._executor is not None:
                        # A Redis round trip is a blocking call: keep it off the event loop.
                        verdict, seconds = await loop.run_in_executor(
                            self._executor, self._judge, chat_key, name
                        )
                    else:
                        verdict, seconds = self._judge(chat_key, name)
                    self._learn(chat_key, verdict, seconds)
                    if verdict != "bot":
                        break
            if verdict == "go":
                return name

    @contextlib.contextmanager
    def sending(self, chat_id: int | str | None) -> Iterator[None]:
        """Wait until a message to ``chat_id`` may go, then send it in the block, right away
        (for synchronous senders: the worker). It counts until a second after the block."""
        if self._unlimited:
            yield
            return
        chat_key = self._chat_key(chat_id)
        name = self._take(chat_key)
        try:
            yield
        finally:
            self._answered(chat_key, name)

    @contextlib.asynccontextmanager
    async def sending_async(self, chat_id: int | str | None) -> AsyncIterator[None]:
        """:meth:`sending` for coroutines (python-telegram-bot's requests)."""
        if self._unlimited:
            yield
            return
        chat_key = self._chat_key(chat_id)
        name = await self._take_async(chat_key)
        try:
            yield
        finally:
            # Here at once: this chat's next message in this process waits for it.
            self._answered_here(chat_key, name)
            if self._executor is not None:
                # Off the send's path: nobody waits for this round trip.
                self._executor.submit(self._answered_in_redis, chat_key, name)


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
            try:
                if spaced:
                    async with self._shared().sending_async(chat_id):
                        return await callback(*args, **kwargs)
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                attempt += 1
                if attempt > MAX_RETRIES_AFTER_429:
                    raise
                delay = _seconds(exc)
                logger.warning("Telegram asked to wait %.1fs before %s", delay, endpoint)
                await asyncio.sleep(delay)

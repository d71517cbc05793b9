"""Rate limits: the counters, the cache they live in, and the one judgement every interface
uses (the API's throttles, the board's log-in and sign-up, the password guesses).

A limit is a scope with a rate (``settings.RATE_LIMITS``, e.g. ``"login_address": "10/min"``)
counted per identity (an address, an account, a user). It is a sliding window, estimated
from two fixed windows the way most proxies do: the count of the current window plus the
previous window's count weighted by how much of it still overlaps the last ``seconds``. So a
burst at a window's edge cannot pass twice the rate, and the wait it is told
(``Retry-After``) is when the estimate falls under the limit. One round trip to Redis per
judgement (a script that reads both windows, judges and counts atomically); a request that
is refused is not counted, so waiting as told always works.

The counters live in Django's cache, which is Redis when REDIS_URL is set, so the limits hold
across all web processes. While Redis cannot be reached they are counted in the process
instead (:data:`rate_limit_cache`): a limit that holds per process is still a limit, and a
claim or a log-in must not fail because a counter could not be read. The database is the
source of truth, not Redis.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import redis
from django.conf import settings
from django.core.cache import cache as shared_cache
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

from backend.core.errors import TooManyRequests

logger = logging.getLogger(__name__)

# What the Redis cache raises when the server is down, restarting or unreachable.
SHARED_CACHE_ERRORS = (redis.RedisError, OSError)
# After a failure, how long to count locally before trying the shared cache again. Without
# the pause an unreachable host (no reset, only silence) would cost every request the
# connect timeout twice, for the GET and the SET of its counter.
RETRY_SHARED_AFTER_SECONDS = 5.0

T = TypeVar("T")


class SharedCacheWithLocalFallback(BaseCache):
    """Django's default cache, or this process's memory while the default cache fails."""

    def __init__(self) -> None:
        super().__init__({})
        self.local = LocMemCache("inzet-rate-limits", {"OPTIONS": {"MAX_ENTRIES": 10_000}})
        self.lock = threading.Lock()
        self.failed_at: float | None = None
        self.warned = False

    def _use(self, operation: Callable[[BaseCache], T]) -> T:
        failed_at = self.failed_at
        if failed_at is None or time.monotonic() - failed_at >= RETRY_SHARED_AFTER_SECONDS:
            try:
                result = operation(shared_cache)
            except SHARED_CACHE_ERRORS as error:
                self._shared_failed(error)
            else:
                self.failed_at = None
                return result
        return operation(self.local)

    def _shared_failed(self, error: Exception) -> None:
        with self.lock:
            self.failed_at = time.monotonic()
            if self.warned:
                return
            self.warned = True
        # Once per process: during an outage every request would say the same.
        logger.warning(
            "shared cache unreachable (%s): rate limits are counted in this process until it "
            "is back (logged once per process)",
            error,
        )

    def get(self, key: Any, default: Any | None = None, version: int | None = None) -> Any:
        return self._use(lambda cache: cache.get(key, default, version))

    def set(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> None:
        self._use(lambda cache: cache.set(key, value, timeout, version))

    def add(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> bool:
        return self._use(lambda cache: cache.add(key, value, timeout, version))

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return self._use(lambda cache: cache.incr(key, delta, version))

    def touch(
        self, key: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._use(lambda cache: cache.touch(key, timeout, version))

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._use(lambda cache: cache.delete(key, version))

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._use(lambda cache: cache.has_key(key, version))

    def clear(self) -> None:
        self.local.clear()
        self._use(lambda cache: cache.clear())


# One per process: the local counters are per process by design.
rate_limit_cache = SharedCacheWithLocalFallback()


# --- Limits -----------------------------------------------------------------------------------

_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+)\s*$")


@dataclass(frozen=True)
class Rate:
    """``count`` requests per ``seconds``."""

    count: int
    seconds: int

    @staticmethod
    @functools.cache
    def parse(text: str) -> Rate:
        """``"10/min"``, ``"5/hour"``, ``"3/15min"``, ``"100/day"`` (``s``, ``m``, ``h``, ``d``
        and their long forms, also in the plural)."""
        match = _RATE.match(text.lower())
        unit = match.group(3) if match else ""
        seconds = _UNITS.get(unit) or _UNITS.get(unit.removesuffix("s"))
        if match is None or seconds is None or int(match.group(1)) < 1:
            raise ValueError(f"not a rate: {text!r} (write e.g. 10/min, 5/hour, 3/15min)")
        return Rate(int(match.group(1)), int(match.group(2) or 1) * seconds)


def rate_of(scope: str) -> Rate:
    return Rate.parse(settings.RATE_LIMITS[scope])


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    # Whole seconds until the limit lets a request through again; 0 when allowed.
    retry_after: int = 0


def _wait(rate: Rate, elapsed: float, current: int, previous: int) -> int:
    """Seconds until ``previous * (1 - t / seconds) + current`` falls under the limit, ``t``
    being the time into the current window (``elapsed`` now)."""
    w = rate.seconds
    if current < rate.count:  # within this window, as the previous one slides out
        at = w * (1 - (rate.count - current) / previous)
        return max(1, math.ceil(at - elapsed))
    # In the next window this one is the previous, weighted down from 1.
    at = w * (1 - rate.count / current)
    return max(1, math.ceil(w - elapsed + at))


# KEYS: the current and the previous window. ARGV: limit, weight of the previous window,
# count (1/0), check (1/0), expiry of the current window in seconds.
_SCRIPT = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
if ARGV[4] == '1' and previous * tonumber(ARGV[2]) + current >= tonumber(ARGV[1]) then
  return {0, current, previous}
end
if ARGV[3] == '1' then
  redis.call('INCR', KEYS[1])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
end
return {1, current, previous}
"""
_scripts: dict[int, Any] = {}
_local_lock = threading.Lock()


def _windows(scope: str, ident: str, rate: Rate, now: float) -> tuple[str, str]:
    index = int(now // rate.seconds)
    base = f"rl:{scope}:{ident}:"
    return f"{base}{index}", f"{base}{index - 1}"


def _use_windows(
    cache: BaseCache, keys: tuple[str, str], rate: Rate, weight: float, *, count: bool, check: bool
) -> tuple[bool, int, int]:
    """Judge (if ``check``) and count (if ``count`` and allowed), atomically: a script on
    Redis, a process lock in memory. Answers whether it was allowed and the current and
    previous window's counts from before."""
    if cache is shared_cache:
        cache = caches["default"]
    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(write=True)
        script = _scripts.get(id(client))
        if script is None:
            script = _scripts[id(client)] = client.register_script(_SCRIPT)
        allowed, current, previous = script(
            keys=[cache.make_and_validate_key(key) for key in keys],
            args=[rate.count, weight, int(count), int(check), 2 * rate.seconds],
        )
        return bool(allowed), int(current), int(previous)
    with _local_lock:
        found = cache.get_many(list(keys))
        current, previous = int(found.get(keys[0], 0)), int(found.get(keys[1], 0))
        allowed = not check or previous * weight + current < rate.count
        if count and allowed:
            cache.set(keys[0], current + 1, timeout=2 * rate.seconds)
        return allowed, current, previous


def limit_use(scope: str, ident: str, *, count: bool = True, check: bool = True) -> Verdict:
    """Judge a request of ``ident`` against the limit of ``scope``, and count it if allowed.

    ``count=False`` only asks (before a password is checked, when only failures count);
    ``check=False`` only counts (the failure, afterwards)."""
    rate = rate_of(scope)
    now = time.time()
    elapsed = now % rate.seconds
    weight = 1 - elapsed / rate.seconds
    keys = _windows(scope, ident, rate, now)
    allowed, current, previous = rate_limit_cache._use(
        lambda cache: _use_windows(cache, keys, rate, weight, count=count, check=check)
    )
    if allowed:
        return Verdict(True)
    return Verdict(False, _wait(rate, elapsed, current, previous))


def limit_require(scope: str, ident: str, *, count: bool = True) -> None:
    """:func:`limit_use`, raising :class:`TooManyRequests` when refused."""
    verdict = limit_use(scope, ident, count=count)
    if not verdict.allowed:
        raise TooManyRequests(verdict.retry_after)


def limit_count(scope: str, ident: str) -> None:
    """Count a request (a failed password) without judging it."""
    limit_use(scope, ident, check=False)


def limit_forget(scope: str, ident: str) -> None:
    """Clear ``ident``'s count in ``scope`` (tests, an admin lifting a block)."""
    rate = rate_of(scope)
    for key in _windows(scope, ident, rate, time.time()):
        rate_limit_cache.delete(key)


def limits_forget_all() -> None:
    """Clear every rate-limit count (tests: every test client talks from 127.0.0.1)."""
    cache = caches["default"]
    with _local_lock:
        rate_limit_cache.local.clear()
        if isinstance(cache, RedisCache):
            client = cache._cache.get_client(write=True)
            keys = list(client.scan_iter(match=cache.make_key("rl:*"), count=1000))
            if keys:
                client.delete(*keys)
        else:
            cache.clear()

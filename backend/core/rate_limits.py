"""The cache that rate-limit counters live in (the API's throttles, the board's log-in).

The counters live in Django's cache, which is Redis when REDIS_URL is set, so the limits hold
across all web processes. While Redis cannot be reached they are counted in the process
instead (:data:`rate_limit_cache`): a limit that holds per process is still a limit, and a
claim or a log-in must not fail because a counter could not be read. The database is the
source of truth, not Redis.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.core.cache import cache as shared_cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache

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

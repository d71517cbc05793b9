"""Throttles. Their counters live in ``backend.core.rate_limits.rate_limit_cache``: Redis
when REDIS_URL is set (the limits hold across all web processes), this process's memory while
Redis cannot be reached (a claim or a log-in must not fail because a counter could not be
read; the database is the source of truth, not Redis)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from backend.core.rate_limits import rate_limit_cache


class AuthThrottle(ScopedRateThrottle):
    scope_attr = "throttle_scope"
    cache = rate_limit_cache

    def get_cache_key(self, request: Request, view: APIView) -> str:
        # Log-in attempts are limited per client address whoever they claim to be.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ClaimThrottle(ScopedRateThrottle):
    cache = rate_limit_cache

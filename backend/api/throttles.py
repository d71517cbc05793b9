"""Throttles. They use Django's cache, which is Redis when REDIS_URL is set, so the limits
hold across all web processes."""

from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView


class AuthThrottle(ScopedRateThrottle):
    scope_attr = "throttle_scope"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        # Log-in attempts are limited per client address whoever they claim to be.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ClaimThrottle(ScopedRateThrottle):
    pass

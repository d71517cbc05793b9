"""While Redis is down, the rate limits are counted in the process instead (issue 16).

The limits still hold, per process: a log-in or a claim never fails because its counter
could not be read, and guessing passwords still does not pay off.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from backend.accounts.models import User
from backend.core.rate_limits import rate_limit_cache
from tests.factories import PASSWORD
from tests.realtime.live import private_redis

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings: Any) -> Iterator[None]:
    """Django's cache on a private Redis that has been stopped."""
    with private_redis() as server:
        settings.CACHES = {
            "default": {
                "BACKEND": "backend.core.cache.SharedRedisCache",
                "LOCATION": server.url,
                "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
            }
        }
        server.stop()
        yield
    # The fallback would otherwise go on counting here for a few seconds, into the next test.
    rate_limit_cache.failed_at = None
    rate_limit_cache.local.clear()


def test_log_in_attempts_are_still_limited_while_redis_is_down(
    redis_down: None, volunteer: User
) -> None:
    api = APIClient(REMOTE_ADDR="10.16.0.1")

    def log_in(password: str) -> int:
        body = {"email": volunteer.email, "password": password}
        return api.post("/api/v1/auth/token/", body, format="json").status_code

    assert log_in(PASSWORD) == 200  # a right password does not count
    assert [log_in("guess") for _ in range(11)] == [401] * 10 + [429]


def test_the_boards_failed_log_in_limit_still_holds_while_redis_is_down(
    redis_down: None, coordinator: User, settings: Any
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_address": "2/min"}

    def log_in(password: str) -> int:
        response = Client().post(
            "/accounts/login/",
            {"username": coordinator.email, "password": password},
            REMOTE_ADDR="10.16.0.2",
        )
        return response.status_code

    assert [log_in("guess") for _ in range(3)] == [200, 200, 429]
    assert log_in(PASSWORD) == 429  # over the limit the password is not even checked

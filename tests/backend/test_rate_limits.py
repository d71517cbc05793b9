"""The one rate-limit rule (``backend.core.rate_limits``), on the real Redis of the suite."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.cache import caches

from backend.core.errors import TooManyRequests
from backend.core.rate_limits import Rate, limit_count, limit_require, limit_use

START = dt.datetime(2026, 5, 4, 9, 0, 5, tzinfo=dt.UTC)  # 5 s into a minute's window


@pytest.fixture
def ten_a_minute(settings: Any) -> str:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "test": "10/min"}
    return "test"


def test_rates_are_read_as_people_write_them() -> None:
    assert Rate.parse("10/min") == Rate(10, 60)
    assert Rate.parse("5/hour") == Rate(5, 3600)
    assert Rate.parse("3/15min") == Rate(3, 900)
    assert Rate.parse("100 / days") == Rate(100, 86400)
    assert Rate.parse("2/s") == Rate(2, 1)
    for nonsense in ("ten/min", "10/fortnight", "0/min", "10"):
        with pytest.raises(ValueError, match="not a rate"):
            Rate.parse(nonsense)


def test_over_the_limit_it_refuses_and_says_when_to_come_back(ten_a_minute: str) -> None:
    with time_machine.travel(START, tick=False):
        assert all(limit_use(ten_a_minute, "a").allowed for _ in range(10))
        refused = limit_use(ten_a_minute, "a")
        assert (refused.allowed, refused.retry_after) == (False, 55)
        assert limit_use(ten_a_minute, "b").allowed  # someone else is not affected
    # Waiting as told works: the refused requests were not counted.
    with time_machine.travel(START + dt.timedelta(seconds=55.5), tick=False):
        assert limit_use(ten_a_minute, "a").allowed


def test_a_burst_at_a_windows_edge_does_not_pass_twice_the_rate(ten_a_minute: str) -> None:
    edge = dt.datetime(2026, 5, 4, 9, 0, 58, tzinfo=dt.UTC)
    with time_machine.travel(edge, tick=False):
        assert all(limit_use(ten_a_minute, "a").allowed for _ in range(10))
    # Three seconds on, a second into a new fixed window: fixed windows would allow ten more.
    # The sliding estimate still counts the last window's 10 as 9.8: one more, then a wait.
    with time_machine.travel(edge + dt.timedelta(seconds=3), tick=False):
        verdicts = [limit_use(ten_a_minute, "a") for _ in range(10)]
    assert [v.allowed for v in verdicts] == [True] + [False] * 9
    assert verdicts[-1].retry_after == 5  # 6 s into the window, 10 * 54/60 + 1 < 10
    with time_machine.travel(edge + dt.timedelta(seconds=8.5), tick=False):
        assert limit_use(ten_a_minute, "a").allowed
        assert not limit_use(ten_a_minute, "a").allowed


def test_asking_does_not_count_and_counting_does_not_ask(ten_a_minute: str) -> None:
    with time_machine.travel(START, tick=False):
        for _ in range(20):
            assert limit_use(ten_a_minute, "a", count=False).allowed
        for _ in range(12):
            limit_count(ten_a_minute, "a")  # past the limit: failures are facts
        with pytest.raises(TooManyRequests) as refused:
            limit_require(ten_a_minute, "a", count=False)
    assert refused.value.retry_after == 55 + 10  # 12 of 10: into the next window too
    assert refused.value.code == "throttled"


def test_the_count_lives_in_redis_and_holds_across_threads(ten_a_minute: str) -> None:
    """Ten threads of five requests each: exactly ten allowed, counted in one place."""
    allowed: list[bool] = []
    lock = threading.Lock()

    def five() -> None:
        for _ in range(5):
            verdict = limit_use(ten_a_minute, "shared").allowed
            with lock:
                allowed.append(verdict)

    with time_machine.travel(START, tick=False):
        threads = [threading.Thread(target=five) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert allowed.count(True) == 10 and len(allowed) == 50
    if settings.REDIS_URL:  # as in CI: counted in Redis, where every web process sees it
        client = caches["default"]._cache.get_client()  # type: ignore[attr-defined]
        assert client.keys("*rl:test:shared:*")

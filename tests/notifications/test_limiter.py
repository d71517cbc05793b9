"""The shared send limiter: slots are shared by every process through Redis."""

from __future__ import annotations

import itertools
import time
import uuid

import pytest
from django.conf import settings

from backend.telegram.ratelimit import SharedLimiter


def test_two_processes_share_the_bots_thirty_messages_a_second_through_redis() -> None:
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    bot = uuid.uuid4().hex
    # Two limiters with their own connections stand for two processes.
    web, worker = (
        SharedLimiter(per_second=29.5, chat_interval=1, redis_url=settings.REDIS_URL, bot_key=bot)
        for _ in range(2)
    )
    # Each reservation answers how long to wait from now; the moment it allows is now + wait,
    # so the time the 60 round trips to Redis take themselves does not count.
    slots = [
        limiter.reserve_bot() + time.monotonic() for _ in range(30) for limiter in (web, worker)
    ]
    # 60 messages at 29.5 a second: the last may go only about two seconds after the first.
    assert 59 / 29.5 - 0.1 < slots[-1] - slots[0] < 59 / 29.5 + 0.1
    assert all(b > a for a, b in itertools.pairwise(slots))


def test_one_chat_gets_a_message_a_second_without_holding_up_other_chats() -> None:
    limiter = SharedLimiter(per_second=1000, chat_interval=1)
    assert limiter.reserve_chat(1) == 0
    assert 0.9 < limiter.reserve_chat(1) <= 1.0
    assert limiter.reserve_chat(2) == 0


def test_with_redis_down_sends_are_spaced_in_the_process_instead_of_failing(caplog) -> None:
    from tests.realtime.live import private_redis

    with private_redis() as server:
        limiter = SharedLimiter(
            per_second=10, chat_interval=1.0, redis_url=server.url, bot_key=uuid.uuid4().hex
        )
        server.stop()
        waits = [limiter.reserve_chat(42) for _ in range(3)]
    # Still one a second for the chat, now counted here; logged once, not per send.
    assert waits[0] == pytest.approx(0.0, abs=0.05)
    assert waits[1] == pytest.approx(1.0, abs=0.1)
    assert waits[2] == pytest.approx(2.0, abs=0.1)
    assert sum("rate limit unreachable" in r.message for r in caplog.records) == 1

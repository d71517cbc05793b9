"""The shared send limiter: slots are shared by every process through Redis."""

from __future__ import annotations

import itertools
import uuid

import pytest
from django.conf import settings

from bots.ratelimit import SharedLimiter


def test_two_processes_share_the_bots_thirty_messages_a_second_through_redis() -> None:
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    bot = uuid.uuid4().hex
    # Two limiters with their own connections stand for two processes.
    web, worker = (SharedLimiter(redis_url=settings.REDIS_URL, bot_key=bot) for _ in range(2))
    waits = [limiter.reserve_bot() for _ in range(30) for limiter in (web, worker)]
    # 60 messages at 29.5 a second: the last may go only about two seconds later.
    assert 59 / 29.5 - 0.1 < waits[-1] < 59 / 29.5 + 0.1
    assert all(b > a for a, b in itertools.pairwise(waits))


def test_one_chat_gets_a_message_a_second_without_holding_up_other_chats() -> None:
    limiter = SharedLimiter(per_second=1000)
    assert limiter.reserve_chat(1) == 0
    assert 0.9 < limiter.reserve_chat(1) <= 1.0
    assert limiter.reserve_chat(2) == 0

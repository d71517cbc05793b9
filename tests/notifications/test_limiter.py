"""The shared send limiter: judged when a message goes out (not when its sender started to
wait), counted until its answer, and shared by every process through Redis."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable

import pytest
from django.conf import settings

from backend.telegram.ratelimit import PoliteRateLimiter, SharedLimiter
from tests.bots.fake_telegram import most_within

Send = Callable[[], Awaitable[bool]]


def _limiter(where: str, *, per_second: float = 29.5, chat_interval: float = 1.0) -> SharedLimiter:
    if where == "redis" and not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    return SharedLimiter(
        per_second=per_second,
        chat_interval=chat_interval,
        redis_url=settings.REDIS_URL if where == "redis" else "",
        bot_key=uuid.uuid4().hex,
    )


def _send_all(limiter: SharedLimiter, chats: list[int], send: Callable[[int], Send]) -> None:
    """Every chat's message through python-telegram-bot's hook, all at once."""
    polite = PoliteRateLimiter(limiter=limiter)

    async def main() -> None:
        await asyncio.gather(
            *(
                polite.process_request(send(n), (), {}, "sendMessage", {"chat_id": chat}, None)
                for n, chat in enumerate(chats)
            )
        )

    asyncio.run(main())


@pytest.mark.parametrize("where", ["memory", "redis"])
def test_sends_that_wake_up_late_are_still_spaced_when_they_go_out(where: str) -> None:
    sent: list[float] = []

    def send(n: int) -> Send:
        async def call() -> bool:
            sent.append(time.monotonic())
            return True

        return call

    def stall() -> None:
        # A handler blocking the event loop in the middle of a burst (or the GIL, or a slow
        # thread pool): every send due meanwhile wakes up at once when it ends.
        time.sleep(0.3)

    limiter = _limiter(where)
    polite = PoliteRateLimiter(limiter=limiter)

    async def main() -> None:
        asyncio.get_running_loop().call_later(0.5, stall)
        await asyncio.gather(
            *(
                polite.process_request(send(n), (), {}, "sendMessage", {"chat_id": n}, None)
                for n in range(60)
            )
        )

    asyncio.run(main())
    # Booked slots and then a late wake-up put 38 into one second; judged when they go, 30.
    assert len(sent) == 60
    assert most_within(sent) <= 30


@pytest.mark.parametrize("where", ["memory", "redis"])
def test_messages_still_on_their_way_keep_their_place_for_a_second(where: str) -> None:
    arrived: list[float] = []

    def send(n: int) -> Send:
        async def call() -> bool:
            # The first thirty take 0.15 s to reach Telegram (a slow connection, a busy
            # process); the answer comes when they arrive, the latest they can have arrived.
            await asyncio.sleep(0.15 if n < 30 else 0)
            arrived.append(time.monotonic())
            return True

        return call

    _send_all(_limiter(where), list(range(45)), send)
    # Spaced when they left, 34 would have arrived in one second.
    assert len(arrived) == 45
    assert most_within(arrived) <= 30


@pytest.mark.parametrize("where", ["memory", "redis"])
def test_a_chats_messages_held_in_the_bots_queue_still_reach_it_a_second_apart(
    where: str,
) -> None:
    to_anna: list[float] = []

    def send(n: int) -> Send:
        async def call() -> bool:
            if n >= 30:
                to_anna.append(time.monotonic())
            return True

        return call

    # Thirty other chats first: Anna's three messages wait a second for the bot's slots, which
    # used to use up her chat's waits, so all three went out together.
    _send_all(_limiter(where), [*range(30), 42, 42, 42], send)
    assert len(to_anna) == 3
    assert all(b - a >= 0.99 for a, b in itertools.pairwise(to_anna)), to_anna


def test_two_processes_share_the_bots_thirty_messages_a_second_through_redis() -> None:
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    bot = uuid.uuid4().hex
    # Two limiters with their own connections stand for two processes.
    web, worker = (
        SharedLimiter(per_second=29.5, chat_interval=1, redis_url=settings.REDIS_URL, bot_key=bot)
        for _ in range(2)
    )
    sent: list[float] = []
    for _ in range(30):
        for limiter in (web, worker):
            with limiter.sending(None):
                sent.append(time.monotonic())
    # 60 messages at 29.5 a second: the last goes about two seconds after the first.
    assert 59 / 29.5 - 0.1 < sent[-1] - sent[0] < 59 / 29.5 + 0.3
    assert most_within(sent) <= 30


def test_one_chat_gets_a_message_a_second_without_holding_up_other_chats() -> None:
    limiter = SharedLimiter(per_second=1000, chat_interval=1)
    moments = {}
    for name, chat in (("a1", 1), ("a2", 1), ("b1", 2)):
        with limiter.sending(chat):
            moments[name] = time.monotonic()
    assert 0.95 < moments["a2"] - moments["a1"] < 1.1
    assert moments["b1"] - moments["a2"] < 0.05


def test_with_redis_down_sends_are_spaced_in_the_process_instead_of_failing(caplog) -> None:
    from tests.realtime.live import private_redis

    with private_redis() as server:
        limiter = SharedLimiter(
            per_second=10, chat_interval=1.0, redis_url=server.url, bot_key=uuid.uuid4().hex
        )
        server.stop()
        moments = []
        for _ in range(3):
            with limiter.sending(42):
                moments.append(time.monotonic())
    # Still one a second for the chat, now counted here; logged once, not per send.
    gaps = [b - a for a, b in itertools.pairwise(moments)]
    assert gaps == [pytest.approx(1.0, abs=0.1)] * 2
    assert sum("rate limit unreachable" in r.message for r in caplog.records) == 1

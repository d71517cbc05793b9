"""Telegram's limits: 429 with retry_after, blocked volunteers (403), message spacing, and
per-chat ordering with concurrency across chats. (The worker's side of a 403 is in
tests/notifications/test_delivery.py.)"""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram import Chat, Message, Update, User
from telegram.ext import ExtBot

from backend.organisations.models import Organisation
from backend.telegram.models import TelegramAccount
from backend.telegram.ratelimit import PoliteRateLimiter, SharedLimiter
from bots.processor import ChatSequentialProcessor
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import TOKEN, FakeTelegram, Person

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_429_is_retried_after_the_time_telegram_asked_for(organisation: Organisation) -> None:
    telegram_volunteer(organisation, 9201)

    async def scenario(fake: FakeTelegram) -> None:
        fake.fail_once("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        [answer] = await Person(fake, 9201).send("/help")
        assert "This is what I can do:" in answer.text
        attempts = [c for c in fake.calls if c.method == "sendMessage"]
        assert [c.status for c in attempts] == [429, 200]
        assert attempts[1].at - attempts[0].at >= 1.0
        # Paid broadcasts (which lift the limits for a fee) stay off.
        assert all("allow_paid_broadcast" not in c.params for c in fake.calls)

    play(scenario)


def test_a_403_while_answering_marks_the_volunteer_unreachable_until_they_write_again(
    organisation: Organisation,
) -> None:
    user = telegram_volunteer(organisation, 9203)

    def unreachable() -> bool:
        account = TelegramAccount.objects.filter(user=user).first()
        return account is not None and account.unreachable_since is not None

    async def scenario(fake: FakeTelegram) -> None:
        fake.blocked_chats.add(9203)
        fake.push(Person(fake, 9203).message_update("/help"))
        # The bot records the 403 after Telegram answers it; on a busy machine that takes a
        # while: wait for it (a safety net, not a speed goal).
        for _ in range(500):
            if await asyncio.to_thread(unreachable):
                break
            await asyncio.sleep(0.02)
        # Marked: the worker sends them nothing more (test_delivery.py) ...
        assert any(c.status == 403 for c in fake.calls)
        assert await asyncio.to_thread(unreachable)

        # ... until they unblock the bot and write to it.
        fake.blocked_chats.clear()
        [answer] = await Person(fake, 9203).send("/help")
        assert "This is what I can do:" in answer.text
        assert not await asyncio.to_thread(unreachable)

    play(scenario)


def test_messages_to_one_chat_are_spaced_while_other_chats_are_not_held_up() -> None:
    async def main() -> None:
        fake = FakeTelegram()
        await fake.start()
        limiter = PoliteRateLimiter(limiter=SharedLimiter(per_second=1000, chat_interval=0.4))
        try:
            async with ExtBot(TOKEN, base_url=fake.base_url, rate_limiter=limiter) as bot:
                await asyncio.gather(
                    bot.send_message(1, "a1"), bot.send_message(1, "a2"), bot.send_message(2, "b1")
                )
        finally:
            await fake.stop()
        sent = {c.text: c.at for c in fake.calls if c.method == "sendMessage"}
        assert sent["a2"] - sent["a1"] >= 0.35
        assert sent["b1"] - sent["a1"] < 0.2

    asyncio.run(main())


def _update(update_id: int, chat_id: int) -> Update:
    user = User(chat_id, "x", is_bot=False)
    chat = Chat(chat_id, Chat.PRIVATE)
    message = Message(update_id, None, chat, from_user=user, text="hi")  # type: ignore[arg-type]
    return Update(update_id, message=message)


def test_updates_run_in_order_within_a_chat_and_concurrently_across_chats() -> None:
    log: list[str] = []

    async def handle(name: str, delay: float) -> None:
        log.append(f"start {name}")
        await asyncio.sleep(delay)
        log.append(f"end {name}")

    async def main() -> None:
        processor = ChatSequentialProcessor(16)
        slow_first = processor.process_update(_update(1, 100), handle("anna-1", 0.3))
        anna_second = processor.process_update(_update(2, 100), handle("anna-2", 0))
        bram = processor.process_update(_update(3, 200), handle("bram-1", 0))
        started = time.monotonic()
        await asyncio.gather(slow_first, anna_second, bram)
        assert time.monotonic() - started < 0.6

    asyncio.run(main())

    # Bram is not held up by Anna's slow update; Anna's second waits for her first.
    assert log.index("end bram-1") < log.index("end anna-1")
    assert log.index("end anna-1") < log.index("start anna-2")

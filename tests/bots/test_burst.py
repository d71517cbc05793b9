"""A burst: a hundred volunteers write at the same moment, and the bot answers every one of
them within Telegram's limits (30 messages in any rolling second, one a second per chat),
with the default limiter shared through Redis as in production, against a fake Bot API that
answers 429 like Telegram does."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator

import pytest
from django.conf import settings
from pytest_django import Settings

from backend.organisations.models import Organisation
from backend.telegram.ratelimit import PoliteRateLimiter, shared_limiter
from bots.app import build_application
from tests.bots.conftest import telegram_volunteer
from tests.bots.fake_telegram import (
    BOT_MESSAGES_PER_SECOND,
    TOKEN,
    FakeTelegram,
    Person,
    fake_in_a_thread,
    most_within,
    over_chat_burst,
)
from tests.factories import ShiftFactory

pytestmark = pytest.mark.django_db(transaction=True)

VOLUNTEERS = 100
# Of them, this many write four times at once: their answers must be a second apart.
CHATTY = 10
FIRST_CHAT = 8_800_000


@pytest.fixture
def production_limiter(settings: Settings) -> Iterator[None]:
    """The limiter the bot builds by default: the settings' rates, shared through Redis."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: the limit is shared through Redis in production")
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    shared_limiter.cache_clear()
    yield
    shared_limiter.cache_clear()


def _push_all(fake: FakeTelegram, updates: list[dict[str, object]]) -> None:
    # In the fake's own thread (its event loop owns the update queue), all in one go.
    for update in updates:
        fake.push(update)


async def _answer_burst(fake: FakeTelegram, updates: list[dict[str, object]]) -> None:
    """Run the bot, deliver ``updates`` at once, and wait until it has answered each."""
    application = build_application(
        token=TOKEN, base_url=fake.base_url, rate_limiter=PoliteRateLimiter()
    )
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        await application.start()
        try:
            assert fake.loop is not None
            fake.loop.call_soon_threadsafe(_push_all, fake, updates)
            for _ in range(1200):  # a minute at most: a safety net, not a speed goal
                if len(fake.messages_sent()) >= len(updates):
                    break
                await asyncio.sleep(0.05)
            # Anything more (a second answer to someone) would show up now.
            await asyncio.sleep(0.5)
        finally:
            await application.updater.stop()
            await application.stop()


def test_a_hundred_volunteers_writing_at_once_are_answered_within_telegrams_limits(
    organisation: Organisation, production_limiter: None
) -> None:
    chats = range(FIRST_CHAT, FIRST_CHAT + VOLUNTEERS)
    for chat in chats:
        telegram_volunteer(organisation, chat, name=f"Volunteer {chat}")
    ShiftFactory(organisation=organisation, title="Soep bedelen", capacity=5)
    chatty = chats[:CHATTY]

    # The fake in a thread of its own, like Telegram on a machine of its own: its clock
    # stamps each message when it arrives, not when the bot's busy event loop gets round to it.
    with fake_in_a_thread() as fake:
        fake.enforce_limits()
        updates = []
        for chat in chats:
            person = Person(fake, chat)
            updates.append(person.message_update("/shifts"))
            if chat in chatty:
                updates += [person.message_update("/help") for _ in range(3)]
        asyncio.run(_answer_burst(fake, updates))

    sent = fake.messages_sent()
    # Everyone got their answer, once.
    for chat in chats:
        answers = [c.text for c in fake.sent_to(chat)]
        assert len(answers) == (4 if chat in chatty else 1), (chat, answers)
        assert "Soep bedelen" in answers[0]
        assert all("This is what I can do:" in text for text in answers[1:])
    # Telegram never had to refuse one ...
    assert fake.too_many_requests == 0
    assert all(c.status == 200 for c in fake.calls if c.method == "sendMessage")
    # ... because the bot stayed within 30 in any rolling second (counted where they arrived),
    assert most_within(c.at for c in sent) <= BOT_MESSAGES_PER_SECOND
    # and within a chat's burst and one a second; in fact it never uses the burst: a chat's
    # messages reach it at least a second apart (its next waits a second after an answer).
    for chat in chatty:
        moments = [c.at for c in fake.sent_to(chat)]
        assert over_chat_burst(moments) == 0
        assert all(b - a >= 1 for a, b in itertools.pairwise(moments)), moments
    # And the limit is what paces the hundred first answers (from the first: before it, the
    # bot is busy with the database, a hundred volunteers' first queries at once).
    last_first_answer = max(fake.sent_to(chat)[0].at for chat in chats)
    assert last_first_answer - sent[0].at < VOLUNTEERS / settings.TELEGRAM_MESSAGES_PER_SECOND + 1.5

"""Bot tests: the real python-telegram-bot stack against the fake Bot API in fake_telegram.py.

Each test builds its data with factories, then ``play``s a scenario: the fake server and the
bot (polling) run in one event loop. The bot reaches the database from worker threads, so
these tests use ``django_db(transaction=True)`` and committed data.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from pytest_django import Settings

from backend.accounts.models import User, VolunteerProfile
from backend.organisations.models import Organisation, Role
from backend.telegram.ratelimit import PoliteRateLimiter, SharedLimiter
from bots.app import build_application
from tests.bots.fake_telegram import TOKEN, FakeTelegram
from tests.factories import MembershipFactory

Scenario = Callable[[FakeTelegram], Awaitable[None]]


@asynccontextmanager
async def running_bot(rate_limiter: PoliteRateLimiter | None = None) -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    application = build_application(
        token=TOKEN,
        base_url=fake.base_url,
        # No spacing between messages by default, so conversations run at test speed.
        rate_limiter=rate_limiter
        or PoliteRateLimiter(limiter=SharedLimiter(per_second=0, chat_interval=0)),
    )
    try:
        async with application:
            assert application.updater is not None
            await application.updater.start_polling(poll_interval=0, timeout=1)
            await application.start()
            try:
                yield fake
            finally:
                await application.updater.stop()
                await application.stop()
    finally:
        await fake.stop()


def play(scenario: Scenario, rate_limiter: PoliteRateLimiter | None = None) -> None:
    async def main() -> None:
        async with running_bot(rate_limiter) as fake:
            await scenario(fake)

    asyncio.run(main())


@pytest.fixture(autouse=True)
def _quiet_http_logs() -> None:
    for name in ("httpx", "aiohttp.access"):
        logging.getLogger(name).setLevel(logging.WARNING)


@pytest.fixture(autouse=True)
def _no_ambient_telegram_settings(settings: Settings) -> None:
    """Not a developer's own bot: each test sets what it needs. Nothing listens on port 9, so
    a test that forgets the fake Bot API fails at once instead of calling Telegram."""
    settings.TELEGRAM_BOT_TOKEN = ""
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    settings.TELEGRAM_API_BASE_URL = "http://127.0.0.1:9/bot"


def telegram_volunteer(
    organisation: Organisation,
    chat_id: int,
    *,
    name: str = "Anna",
    language: str = "en",
    mode: str = "both",
    role: str = Role.VOLUNTEER,
) -> User:
    """A member of ``organisation`` whose account is linked to Telegram chat ``chat_id``."""
    user = MembershipFactory(organisation=organisation, role=role).user
    VolunteerProfile.objects.filter(user=user).update(
        telegram_chat_id=chat_id, language=language, mode_preference=mode, display_name=name
    )
    return user

"""Notification tests: the worker against the fake Bot API (served from its own thread)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest

from backend.accounts.models import User, VolunteerProfile
from backend.notifications.worker import Worker
from backend.organisations.models import Organisation, Role
from backend.telegram.client import BotApiClient
from backend.telegram.ratelimit import SharedLimiter
from tests.bots.fake_telegram import TOKEN, FakeTelegram, fake_in_a_thread
from tests.factories import MembershipFactory


@pytest.fixture(autouse=True)
def _quiet_http_logs() -> None:
    for name in ("httpx", "aiohttp.access"):
        logging.getLogger(name).setLevel(logging.WARNING)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    """The fake Bot API in its own thread: the worker is synchronous code."""
    with fake_in_a_thread() as fake:
        yield fake


@pytest.fixture
def worker(fake: FakeTelegram) -> Worker:
    """A worker with no spacing, so tests run at full speed (the limiter is tested apart)."""
    return Worker(
        client=BotApiClient(token=TOKEN, base_url=fake.base_url),
        limiter=SharedLimiter(per_second=0, chat_interval=0),
    )


@pytest.fixture
def on_telegram(organisation: Organisation) -> Callable[..., User]:
    """A member of the organisation linked to a Telegram chat."""

    def make(chat_id: int, *, role: str = Role.VOLUNTEER, language: str = "en") -> User:
        user = MembershipFactory(organisation=organisation, role=role).user
        VolunteerProfile.objects.filter(user=user).update(
            telegram_chat_id=chat_id, language=language, display_name=f"Person {chat_id}"
        )
        return User.objects.get(pk=user.pk)

    return make


def messages_to(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [call.text for call in fake.sent_to(chat_id)]

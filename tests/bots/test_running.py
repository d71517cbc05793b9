"""Running the bot: ``python -m bots`` and ``manage.py set_telegram_webhook``."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from pytest_django import Settings

from backend.organisations.models import Organisation
from tests.bots.conftest import telegram_volunteer
from tests.bots.fake_telegram import TOKEN, FakeTelegram, Person
from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]


def run_bot_module(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "REDIS_URL"))}
    return subprocess.run(
        [sys.executable, "-m", "bots"],
        cwd=ROOT,
        env={**clean, "SECRET_KEY": "x", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_a_token_the_bot_says_it_is_off_and_exits_cleanly() -> None:
    result = run_bot_module()
    assert result.returncode == 0
    assert "TELEGRAM_BOT_TOKEN is not set: the bot is off." in result.stderr


def test_without_redis_the_bot_refuses_to_start_rather_than_miss_the_board() -> None:
    result = run_bot_module(TELEGRAM_BOT_TOKEN=TOKEN)
    assert result.returncode == 2
    assert "REDIS_URL is not set" in result.stderr


@pytest.fixture
def fake_in_thread() -> Iterator[FakeTelegram]:
    """The fake Bot API in its own thread, for code that runs its own event loop."""
    fake = FakeTelegram()
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(fake.start())
        ready.set()
        loop.run_forever()

    fake.loop = loop
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(5)
    yield fake
    asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def test_set_telegram_webhook_registers_the_url_with_the_secret(
    fake_in_thread: FakeTelegram, settings: Settings
) -> None:
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.TELEGRAM_WEBHOOK_SECRET = "hook-secret"
    settings.TELEGRAM_API_BASE_URL = fake_in_thread.base_url
    call_command("set_telegram_webhook", "https://inzet.example.org/")
    [call] = [c for c in fake_in_thread.calls if c.method == "setWebhook"]
    assert call.params["url"] == "https://inzet.example.org/telegram/webhook/"
    assert call.params["secret_token"] == "hook-secret"
    menus = {
        c.params.get("language_code"): [cmd["command"] for cmd in c.params["commands"]]
        for c in fake_in_thread.calls
        if c.method == "setMyCommands"
    }
    assert set(menus) == {None, "nl", "en", "fr"}
    assert menus["fr"] == [
        "shifts",
        "online",
        "suggest",
        "my",
        "settings",
        "allowance",
        "join",
        "help",
    ]

    call_command("set_telegram_webhook", "--delete")
    assert [c.method for c in fake_in_thread.calls][-1] == "deleteWebhook"


def test_set_telegram_webhook_refuses_without_a_secret(settings: Settings) -> None:
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    with pytest.raises(CommandError, match="TELEGRAM_WEBHOOK_SECRET"):
        call_command("set_telegram_webhook", "https://inzet.example.org")


@pytest.mark.django_db(transaction=True)
def test_python_m_bots_polls_and_answers(
    fake_in_thread: FakeTelegram, organisation: Organisation
) -> None:
    redis_url = os.environ.get("REDIS_URL", "")
    require_service("Redis (REDIS_URL)", bool(redis_url))
    telegram_volunteer(organisation, 9401)
    database = connection.settings_dict
    process = subprocess.Popen(
        [sys.executable, "-m", "bots"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")},
            "SECRET_KEY": "x",
            "REDIS_URL": redis_url,
            # The test database, where this test's data is committed.
            "DATABASE_URL": (
                f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@"
                f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
            ),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": fake_in_thread.base_url,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        loop = fake_in_thread.loop
        assert loop is not None
        update = Person(fake_in_thread, 9401).message_update("/help")
        loop.call_soon_threadsafe(fake_in_thread.push, update)
        deadline = time.monotonic() + 30
        while not fake_in_thread.sent_to(9401) and time.monotonic() < deadline:
            time.sleep(0.1)
        [answer] = fake_in_thread.sent_to(9401)
        assert "This is what I can do:" in answer.text
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

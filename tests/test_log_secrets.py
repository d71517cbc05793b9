"""No process writes a secret to its log (issue 16).

The worker, the bot (``python -m bots``) and the web process (Daphne, with the Telegram
webhook) run as real processes at ``LOG_LEVEL=DEBUG`` against the fake Bot API; each does its
work, and everything it printed is searched for the bot token, the webhook secret, a JWT and a
calendar token. Each run must also have logged something, or the search would prove nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from pytest_django import Settings
from rest_framework_simplejwt.tokens import AccessToken
from websockets.asyncio.client import connect

from backend.accounts.models import User
from backend.accounts.services import calendar_token_get, calendar_token_rotate
from backend.core.logging import REDACTED, RedactSecrets
from backend.organisations.models import Organisation
from tests.bots.conftest import telegram_volunteer
from tests.bots.fake_telegram import TOKEN, FakeTelegram, Person, fake_in_a_thread
from tests.conftest import require_service
from tests.notifications.bulk import due_reminders
from tests.realtime.live import free_port, wait_for_port
from tests.realtime.live import test_database_url as database_url

ROOT = Path(__file__).resolve().parent.parent
WEBHOOK_SECRET = f"hook-{secrets.token_hex(16)}"
# Bot tokens look like this; the fake Bot API only knows its own, simpler TOKEN.
SHAPED_BOT_TOKEN = f"123456789:{'A' * 20}b_c-{'9' * 11}"


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    """The fake Bot API in a thread of its own, for the processes started here to call."""
    with fake_in_a_thread() as fake:
        yield fake


def process_env(fake: FakeTelegram, **extra: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "backend.config.settings",
        "DATABASE_URL": database_url(),
        "LOG_LEVEL": "DEBUG",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_MESSAGES_PER_SECOND": "0",
        "TELEGRAM_CHAT_INTERVAL_SECONDS": "0",
        **extra,
    }


def wait_until(condition: Callable[[], object], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@contextlib.contextmanager
def running(command: list[str], env: dict[str, str], log: Path) -> Iterator[None]:
    """``command`` with stdout and stderr in ``log`` (a file: a pipe nobody reads fills up)."""
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
        try:
            yield
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def assert_no_secrets(log: str, *found_secrets: str) -> None:
    assert log.strip(), "the process logged nothing"
    for secret in (TOKEN, WEBHOOK_SECRET, *found_secrets):
        assert secret not in log, f"{secret[:12]}... is in the log:\n{log[-4000:]}"


def jwt_for(user: User) -> str:
    return str(AccessToken.for_user(user))


pytestmark = pytest.mark.django_db(transaction=True)


def test_the_worker_logs_neither_the_bot_token_nor_what_an_error_echoes_of_it(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    [first, second] = due_reminders(2)
    # A proxy's error page that echoes the request URL, and so the token, into the reason.
    fake.fail_once("sendMessage", 502, f"Bad gateway for /bot{TOKEN}/sendMessage")
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        subprocess.run(
            [sys.executable, "manage.py", "run_worker", "--once", "--threads", "1"],
            cwd=ROOT,
            env=process_env(fake),
            stdout=out,
            stderr=out,
            timeout=30,
            check=True,
        )
    assert fake.sent_to(first) or fake.sent_to(second)
    text = log.read_text()
    assert_no_secrets(text)
    assert "retrying" in text and REDACTED in text


def test_the_bot_logs_no_secret_even_from_the_updates_it_receives(
    fake: FakeTelegram, organisation: Organisation, tmp_path: Path
) -> None:
    redis_url = os.environ.get("REDIS_URL", "")
    require_service("Redis (REDIS_URL)", bool(redis_url))
    user = telegram_volunteer(organisation, 9601)
    jwt, calendar_token = jwt_for(user), calendar_token_get(user=user)
    person = Person(fake, 9601, language_code="en")
    log = tmp_path / "bot.log"
    with running([sys.executable, "-m", "bots"], process_env(fake), log):
        loop = fake.loop
        assert loop is not None
        # A volunteer pasting their feed link and an app's token into the chat: python-telegram-
        # bot logs every update it receives at DEBUG.
        pasted = person.message_update(
            f"https://inzet.example.org/api/v1/calendar/{calendar_token}/shifts.ics {jwt}"
        )
        loop.call_soon_threadsafe(fake.push, pasted)
        loop.call_soon_threadsafe(fake.push, person.message_update("/help"))
        # Updates of one chat are handled in order: the answer to /help comes last.
        wait_until(
            lambda: any("This is what I can do:" in c.text for c in fake.sent_to(9601)),
            "the bot's answer to /help",
        )
    text = log.read_text()
    assert_no_secrets(text, jwt, calendar_token)
    assert " DEBUG telegram" in text and REDACTED in text


def test_the_web_process_logs_no_secret_from_the_webhook_the_feeds_or_sockets(
    fake: FakeTelegram, organisation: Organisation, tmp_path: Path
) -> None:
    user = telegram_volunteer(organisation, 9602)
    jwt = jwt_for(user)
    old_calendar_token = calendar_token_get(user=user)
    calendar_token = calendar_token_rotate(user=user)
    port = free_port()
    log = tmp_path / "web.log"
    env = process_env(fake, ALLOWED_HOSTS="127.0.0.1", SECURE_COOKIES="false", DEBUG="true")
    # Daphne through the entry point that redacts its access log (plain `-m daphne` prints
    # calendar tokens and ?token= JWTs to stdout, outside logging).
    command = [
        sys.executable,
        "-m",
        "backend.config.daphne_cli",
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        "backend.config.asgi:application",
    ]
    base = f"http://127.0.0.1:{port}"
    with running(command, env, log):
        wait_for_port(port)
        update = {"update_id": 77, **Person(fake, 9602, language_code="en").message_update("/help")}
        with httpx.Client(base_url=base, timeout=10) as client:
            answer = client.post(
                "/telegram/webhook/",
                content=json.dumps(update),
                headers={
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
                },
            )
            assert answer.status_code == 200
            feed = client.get(f"/api/v1/calendar/{calendar_token}/shifts.ics")
            assert feed.status_code == 200
            # An old link (the secret was rotated): Django logs the path of every 404.
            old = client.get(f"/api/v1/calendar/{old_calendar_token}/shifts.ics")
            assert old.status_code == 404
            me = client.get(f"/api/v1/me/?token={jwt}", headers={"Authorization": f"Bearer {jwt}"})
            assert me.status_code == 200

        async def open_socket() -> str:
            async with connect(f"ws://127.0.0.1:{port}/ws/v1/me/?token={jwt}") as ws:
                return str(json.loads(await ws.recv())["type"])

        assert asyncio.run(open_socket()) == "ready"
        wait_until(lambda: fake.sent_to(9602), "the webhook's answer")
    text = log.read_text()
    assert_no_secrets(text, jwt, calendar_token, old_calendar_token)
    assert f"/api/v1/calendar/{REDACTED}/shifts.ics" in text


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (f"POST https://api.telegram.org/bot{SHAPED_BOT_TOKEN}/getMe", "bot[redacted]/getMe"),
        ("Bearer eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.c2lnbmF0dXJl ok", "Bearer [redacted] ok"),
        ('"GET /api/v1/calendar/Zx_9-a/organisations/3.ics" 200', "calendar/[redacted]/org"),
        ("GET /api/v1/me/calendar/rotate/", "/api/v1/me/calendar/rotate/"),
        ("WSCONNECT /ws/v1/me/?days=3&token=abc.def 200", "?days=3&token=[redacted] 200"),
    ],
)
def test_the_filter_redacts_secrets_by_their_shape(message: str, expected: str) -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "%s", (message,), None)
    assert RedactSecrets().filter(record)
    assert expected in record.getMessage()


def test_the_filter_redacts_configured_secrets_in_arguments_and_tracebacks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET)
    try:
        raise RuntimeError(f"header was {WEBHOOK_SECRET}")
    except RuntimeError:
        record = logging.LogRecord(
            "t", logging.ERROR, __file__, 1, "secret %s", (WEBHOOK_SECRET,), sys.exc_info()
        )
    assert RedactSecrets().filter(record)
    formatted = logging.Formatter().format(record)
    assert WEBHOOK_SECRET not in formatted
    assert "secret [redacted]" in formatted and "header was [redacted]" in formatted


def test_the_filter_redacts_the_secrets_in_django_settings(settings: Settings) -> None:
    # What the processes use is settings (a test's override too), so that must not be logged.
    secret = f"hook-{secrets.token_hex(16)}"
    settings.TELEGRAM_WEBHOOK_SECRET = secret
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "header %s", (secret,), None)
    assert RedactSecrets().filter(record)
    assert record.getMessage() == "header [redacted]"


def test_before_settings_load_the_filter_redacts_the_environments_secrets() -> None:
    # LOGGING is configured while Django sets up: the filter must work then, from the
    # environment, without loading settings from inside a log call.
    script = (
        "import sys\n"
        "from django.conf import settings\n"
        "from backend.core.logging import redact\n"
        "print(redact('secret ' + sys.argv[1]), settings.configured)\n"
    )
    env = {**os.environ, "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET}
    result = subprocess.run(
        [sys.executable, "-c", script, WEBHOOK_SECRET],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert result.stdout.split() == ["secret", REDACTED, "False"]

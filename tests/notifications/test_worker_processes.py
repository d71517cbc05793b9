"""Several worker processes against one PostgreSQL database: nothing sent twice, nothing lost
when one of them is killed (at-least-once: only the send in flight may be repeated)."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from backend.notifications.models import Notification, Status
from tests.bots.fake_telegram import TOKEN, FakeTelegram
from tests.notifications.bulk import due_reminders

ROOT = Path(__file__).resolve().parents[2]
REMINDERS = 2_000
# The kill test needs enough to kill a worker mid-stream, not a large batch.
KILL_REMINDERS = 600

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("several worker processes need PostgreSQL")


def _database_url() -> str:
    db = settings.DATABASES["default"]
    user = f"{db['USER']}:{db['PASSWORD']}" if db.get("PASSWORD") else db["USER"]
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_worker(fake: FakeTelegram, *extra: str) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "DATABASE_URL": _database_url(),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        # Spacing is not what these tests are about (the benchmark is): send at full speed.
        "TELEGRAM_MESSAGES_PER_SECOND": "0",
        "TELEGRAM_CHAT_INTERVAL_SECONDS": "0",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--poll", "0.1", *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


# A safety net, not a speed goal (speed is bench/reminders.py's): these tests are about
# exactly-once delivery, and CI machines are sometimes several times slower than usual.
SEND_TIMEOUT = 240


def _wait_until_all_sent(count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while Notification.objects.filter(status=Status.SENT).count() < count:
        assert time.monotonic() < deadline, "not everything was sent in time"
        time.sleep(0.2)


def _deliveries(fake: FakeTelegram) -> collections.Counter[int]:
    return collections.Counter(
        c.chat_id for c in list(fake.calls) if c.method == "sendMessage" and c.status == 200
    )


def test_two_workers_send_two_thousand_reminders_exactly_once(
    fake: FakeTelegram, workers: list[subprocess.Popen[bytes]]
) -> None:
    chats = due_reminders(REMINDERS)
    workers += [_start_worker(fake, "--threads", "2") for _ in range(2)]
    _wait_until_all_sent(REMINDERS, timeout=SEND_TIMEOUT)
    delivered = _deliveries(fake)
    assert set(delivered) == set(chats)
    assert max(delivered.values()) == 1
    # Both workers took part.
    assert Notification.objects.values("locked_by").distinct().count() > 2


def test_a_killed_worker_loses_nothing_and_repeats_at_most_the_send_in_flight(
    fake: FakeTelegram, workers: list[subprocess.Popen[bytes]]
) -> None:
    chats = due_reminders(KILL_REMINDERS)
    # One sender thread each, so each worker has at most one send in flight; a short lease
    # so the killed worker's claimed rows come back quickly.
    victim, survivor = (
        _start_worker(fake, "--threads", "1", "--lease", "2", "--batch", "5") for _ in range(2)
    )
    workers += [victim, survivor]
    deadline = time.monotonic() + SEND_TIMEOUT
    while sum(_deliveries(fake).values()) < KILL_REMINDERS // 4:
        assert time.monotonic() < deadline, "the workers did not start sending in time"
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.wait(5)
    _wait_until_all_sent(KILL_REMINDERS, timeout=SEND_TIMEOUT)
    delivered = _deliveries(fake)
    assert set(delivered) == set(chats)  # none lost
    assert sum(delivered.values()) - KILL_REMINDERS <= 1  # at most the one in flight, twice

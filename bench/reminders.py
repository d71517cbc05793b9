"""Reminder throughput: N due reminders sent by W worker processes through a fake Bot API
that enforces Telegram's 30 messages a second.

Method (everything on this machine):
- a fresh PostgreSQL database; N confirmed claims, each volunteer in their own chat, with a
  reminder due now (bulk inserts: the sending is measured, not the claiming);
- the fake Bot API of the tests (aiohttp, in this process) answers 429 with retry_after=1
  to any sendMessage beyond 30 in the last second, like Telegram;
- W worker processes as deployed (``manage.py run_worker``, 2 sender threads each), sharing
  the send limiter through Redis (``REDIS_URL``; the limiter aims at 29.5/s);
- rate = (deliveries - 1) / (last delivery - first delivery), as a fraction of 30/s;
  duplicates = deliveries beyond one per chat; lost = chats never reached once every row is
  sent or failed (or after a timeout); 429s are the fake's refusals.

    SECRET_KEY=x REDIS_URL=redis://127.0.0.1:6379/6 .venv/bin/python bench/reminders.py \
        --reminders 10000 --workers 1 2
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from common import fresh_database, machine  # noqa: E402

DATABASE = "helper_notify_bench"
TELEGRAM_LIMIT = 30


def serve_fake():  # type: ignore[no-untyped-def]
    from tests.bots.fake_telegram import FakeTelegram

    fake = FakeTelegram()
    fake.max_per_second = TELEGRAM_LIMIT
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(fake.start())
        ready.set()
        loop.run_forever()

    threading.Thread(target=serve, daemon=True).start()
    ready.wait(5)
    return fake


def run(reminders: int, workers: int, database_url: str) -> dict[str, float]:
    from django.core.management import call_command
    from django.db import connection

    from backend.notifications.models import Notification, Status
    from tests.bots.fake_telegram import TOKEN
    from tests.notifications.bulk import due_reminders

    connection.close()
    fresh_database(DATABASE)
    call_command("migrate", verbosity=0)
    chats = due_reminders(reminders)
    fake = serve_fake()
    env = os.environ | {
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--threads", "2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    deadline = time.monotonic() + reminders / TELEGRAM_LIMIT * 2 + 60
    try:
        while time.monotonic() < deadline:
            open_rows = Notification.objects.filter(
                status__in=[Status.PENDING, Status.SENDING]
            ).count()
            if open_rows == 0:
                break
            time.sleep(1)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(30)
    calls = list(fake.calls)
    delivered = [c for c in calls if c.method == "sendMessage" and c.status == 200]
    per_chat = collections.Counter(c.chat_id for c in delivered)
    span = delivered[-1].at - delivered[0].at if len(delivered) > 1 else float("nan")
    rate = (len(delivered) - 1) / span
    return {
        "workers": workers,
        "reminders": reminders,
        "delivered": len(delivered),
        "seconds": round(span, 1),
        "rate_per_s": round(rate, 2),
        "fraction_of_30": round(rate / TELEGRAM_LIMIT, 3),
        "duplicates": sum(n - 1 for n in per_chat.values()),
        "lost": len(set(chats) - set(per_chat)),
        "refused_429": sum(1 for c in calls if c.status == 429),
        "failed_rows": Notification.objects.filter(status=Status.FAILED).count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("REDIS_URL is needed: the workers share the limiter through Redis")
    database_url = fresh_database(DATABASE)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
    import logging

    import django

    django.setup()
    for name in ("httpx", "aiohttp.access"):
        logging.getLogger(name).setLevel(logging.WARNING)
    print(f"machine: {machine()}")
    for workers in args.workers:
        print(run(args.reminders, workers, database_url), flush=True)


if __name__ == "__main__":
    main()

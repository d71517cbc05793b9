"""``manage.py run_worker``: send due notifications (Procfile ``worker:``)."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from backend.notifications.push import enabled_kinds
from backend.notifications.worker import Worker
from backend.telegram.client import BotApiClient
from backend.telegram.ratelimit import shared_limiter

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Send due reminders and notifications (Telegram, push) and e-mails (run one or more)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--threads", type=int, default=2, help="parallel senders")
        parser.add_argument("--batch", type=int, default=10, help="rows claimed at a time")
        parser.add_argument(
            "--lease", type=float, default=60.0, help="seconds a claimed row stays ours"
        )
        parser.add_argument("--poll", type=float, default=1.0, help="seconds between polls")
        parser.add_argument("--once", action="store_true", help="send what is due, then stop")

    def handle(self, *args: Any, **options: Any) -> None:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
        client = BotApiClient(
            token=settings.TELEGRAM_BOT_TOKEN, base_url=settings.TELEGRAM_API_BASE_URL
        )
        limiter = shared_limiter()
        worker = Worker(
            client=client,
            limiter=limiter,
            lease=dt.timedelta(seconds=options["lease"]),
            batch=options["batch"],
        )
        if not client.configured:
            self.stdout.write(
                "worker: TELEGRAM_BOT_TOKEN not set: messages to Telegram chats wait for the "
                "bot, the others go to the app"
            )
        kinds = enabled_kinds()
        self.stdout.write(
            f"worker: push to apps on ({', '.join(kinds)})"
            if kinds
            else "worker: push to apps off (no VAPID_PRIVATE_KEY or FCM_CREDENTIALS_FILE): "
            "volunteers without Telegram find messages in their inbox"
        )
        self.stdout.write(
            "worker: rate limit "
            + ("shared through Redis" if limiter.shared else "in this process only (no REDIS_URL)")
        )
        if options["once"]:
            worker.run_until_idle()
            return
        stop = threading.Event()

        def on_signal(signum: int, frame: object) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.stdout.write(f"worker: running with {options['threads']} sender thread(s)")
        worker.run(stop, threads=options["threads"], poll=options["poll"])
        self.stdout.write("worker: stopped")

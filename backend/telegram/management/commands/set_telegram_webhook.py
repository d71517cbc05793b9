"""``manage.py set_telegram_webhook https://inzet.example.org`` (or ``--delete``)."""

from __future__ import annotations

import asyncio
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

# The bot's one door for backend/ (tests/test_layering.py allows this import only).
from bots import webhook as bot_webhook


class Command(BaseCommand):
    help = "Point Telegram at /telegram/webhook/ of this site (with the secret token)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("base_url", nargs="?", help="Public https URL of this site.")
        parser.add_argument("--delete", action="store_true", help="Go back to polling.")

    def handle(self, *args: Any, base_url: str | None, delete: bool, **options: Any) -> None:
        if not settings.TELEGRAM_BOT_TOKEN:
            raise CommandError("TELEGRAM_BOT_TOKEN is not set.")
        if delete:
            asyncio.run(bot_webhook.unregister())
            self.stdout.write("Webhook removed; run `python -m bots` to poll.")
            return
        secret = settings.TELEGRAM_WEBHOOK_SECRET
        if not secret:
            raise CommandError("TELEGRAM_WEBHOOK_SECRET is not set; the webhook would refuse all.")
        if not base_url:
            raise CommandError("Give the public base URL, e.g. https://inzet.example.org")
        url = base_url.rstrip("/") + "/telegram/webhook/"
        asyncio.run(bot_webhook.register(url=url, secret=secret))
        self.stdout.write(f"Webhook set to {url}")

"""``manage.py set_telegram_webhook https://inzet.example.org`` (or ``--delete``)."""

from __future__ import annotations

import asyncio
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from telegram import Bot, Update

from backend.telegram import conf


class Command(BaseCommand):
    help = "Point Telegram at /telegram/webhook/ of this site (with the secret token)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("base_url", nargs="?", help="Public https URL of this site.")
        parser.add_argument("--delete", action="store_true", help="Go back to polling.")

    def handle(self, *args: Any, base_url: str | None, delete: bool, **options: Any) -> None:
        token = conf.bot_token()
        if not token:
            raise CommandError("TELEGRAM_BOT_TOKEN is not set.")
        if delete:
            asyncio.run(self._delete(token))
            self.stdout.write("Webhook removed; run `python -m bots` to poll.")
            return
        secret = conf.webhook_secret()
        if not secret:
            raise CommandError("TELEGRAM_WEBHOOK_SECRET is not set; the webhook would refuse all.")
        if not base_url:
            raise CommandError("Give the public base URL, e.g. https://inzet.example.org")
        url = base_url.rstrip("/") + "/telegram/webhook/"
        asyncio.run(self._set(token, url, secret))
        self.stdout.write(f"Webhook set to {url}")

    @staticmethod
    def _bot(token: str) -> Bot:
        return Bot(token, base_url=conf.api_base_url(), base_file_url=conf.api_base_file_url())

    async def _set(self, token: str, url: str, secret: str) -> None:
        from bots.app import publish_command_menu

        async with self._bot(token) as bot:
            await bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
            await publish_command_menu(bot)

    async def _delete(self, token: str) -> None:
        async with self._bot(token) as bot:
            await bot.delete_webhook()

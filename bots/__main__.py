"""``python -m bots``: run the bot in polling mode.

Claims made here reach the live board only through the channel layer in Redis, so without
``REDIS_URL`` the bot refuses to start rather than feed a board that silently misses them.
"""

from __future__ import annotations

import logging
import os
import sys


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
    import django

    django.setup()

    from django.conf import settings

    log = logging.getLogger("bots")
    if not settings.TELEGRAM_BOT_TOKEN:
        log.warning("TELEGRAM_BOT_TOKEN is not set: the bot is off.")
        return 0
    if not settings.REDIS_URL:
        log.error(
            "REDIS_URL is not set. The bot runs as its own process, and its claims reach the "
            "coordinators' live board only through Redis. Set REDIS_URL, or use webhook mode "
            "(manage.py set_telegram_webhook) so the bot runs inside the web process."
        )
        return 2

    from telegram import Update

    from bots.app import build_application

    application = build_application()
    log.info("Telegram bot polling (paid broadcasts off)")
    application.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

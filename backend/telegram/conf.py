"""Telegram settings, read from the environment (see README "Configuration").

Kept here rather than in ``backend/config/settings.py`` so the bot's configuration lives with
the bot; they are read on use so tests can change the environment.
"""

from __future__ import annotations

from backend.core.env import env_str

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"


def bot_token() -> str:
    return env_str("TELEGRAM_BOT_TOKEN").strip()


def webhook_secret() -> str:
    return env_str("TELEGRAM_WEBHOOK_SECRET").strip()


def api_base_url() -> str:
    """The Bot API prefix the token is appended to, e.g. ``http://localhost:8081/bot``."""
    return env_str("TELEGRAM_API_BASE_URL").strip() or DEFAULT_API_BASE_URL


def api_base_file_url() -> str:
    base = api_base_url()
    root, _sep, last = base.rstrip("/").rpartition("/")
    return f"{root}/file/{last}"

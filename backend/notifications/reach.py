"""Whether a message can reach a person on Telegram: one rule for the worker (which then sends
or records why not) and the cockpit (which tells the coordinator whether the volunteer will
hear of a change, or must be told some other way)."""

from __future__ import annotations

from django.conf import settings

from backend.accounts.models import User


def not_on_telegram(user: User) -> str:
    """Why ``user`` can't get a message on Telegram ("" if they can). ``profile`` and
    ``telegram_account`` are read from the user (select them with it)."""
    profile = getattr(user, "profile", None)
    if profile is None or profile.telegram_chat_id is None:
        return "no Telegram chat"
    account = getattr(user, "telegram_account", None)
    if account is not None and account.unreachable_since is not None:
        return "the volunteer blocked the bot"
    return ""


def reaches_on_telegram(user_id: int) -> bool:
    """Whether a message to this user would go out now: the bot is configured, they linked a
    chat and did not block the bot."""
    if not settings.TELEGRAM_BOT_TOKEN:
        return False
    user = User.objects.select_related("profile", "telegram_account").filter(pk=user_id).first()
    return user is not None and not not_on_telegram(user)

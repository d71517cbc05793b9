"""Builds the bot: one Application with every handler, for polling and webhook mode alike."""

from __future__ import annotations

from django.conf import settings as django_settings
from telegram import Bot, BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from backend.telegram.callbacks import LANGUAGES
from backend.telegram.ratelimit import PoliteRateLimiter
from bots import messages
from bots.handlers import (
    allowance,
    benefit,
    calendar,
    claiming,
    help,
    history,
    leaving,
    link,
    my,
    reminders,
    settings,
    shifts,
    signup,
    stand_ins,
    suggest,
)
from bots.keyboards import matches
from bots.processor import ChatSequentialProcessor

COMMANDS = {
    "start": signup.start,
    "cancel": signup.cancel,
    "link": link.link,
    "join": link.join,
    "shifts": shifts.list_shifts,
    "online": shifts.list_online,
    "suggest": suggest.suggest,
    "my": my.my_claims,
    "settings": settings.show_settings,
    "allowance": allowance.allowance,
    "help": help.help_command,
}

BUTTONS = {
    "su": signup.on_button,
    "page": shifts.on_page,
    "claim": shifts.on_claim,
    "info": shifts.on_info,
    "note": claiming.on_note_read,
    "attest": claiming.on_attest,
    "cancel": my.on_cancel,
    "cancelyes": my.on_cancel_confirmed,
    "cancelno": my.on_cancel_declined,
    "stand": stand_ins.on_ask,
    "standno": stand_ins.on_withdraw,
    "sia": stand_ins.on_accept,
    "sid": stand_ins.on_decline,
    "swap": stand_ins.on_swap,
    "swapto": stand_ins.on_swap_to,
    "swa": stand_ins.on_swap_accept,
    "swd": stand_ins.on_swap_decline,
    "checkin": my.on_check_in,
    "checkout": my.on_check_out,
    "calendar": calendar.on_calendar,
    "history": history.on_history,
    "leave": leaving.on_leave,
    "leaveorg": leaving.on_leave_organisation,
    "leaveyes": leaving.on_leave_confirmed,
    "leaveno": leaving.on_leave_declined,
    "set": settings.on_setting,
    "lang": settings.on_language,
    "mode": settings.on_mode,
    "when": settings.on_reminder_times,
    "del": settings.on_delete,
    "ben": benefit.on_benefit,
    "c45b": benefit.on_c45b,
    "coming": reminders.on_coming,
    "score": reminders.on_score,
}


def add_handlers(application: Application) -> None:
    application.add_handler(TypeHandler(Update, help.on_any_update), group=-1)
    for command, callback in COMMANDS.items():
        application.add_handler(CommandHandler(command, callback))
    for action, callback in BUTTONS.items():
        application.add_handler(CallbackQueryHandler(callback, pattern=matches(action)))
    application.add_handler(CallbackQueryHandler(help.stale_button))
    application.add_handler(MessageHandler(filters.CONTACT, signup.on_contact))
    application.add_handler(MessageHandler(filters.COMMAND, help.unknown_command))
    application.add_handler(MessageHandler(filters.TEXT, reminders.on_text))
    application.add_handler(MessageHandler(filters.ALL, help.free_text))
    application.add_error_handler(help.on_error)


async def publish_command_menu(bot: Bot) -> None:
    """Tell Telegram our commands, in each language (Dutch also for everyone else)."""
    for language in (None, *LANGUAGES):
        commands = [
            BotCommand(command, description)
            for command, description in messages.command_menu(language or "nl")
        ]
        await bot.set_my_commands(commands, language_code=language)


async def _post_init(application: Application) -> None:
    await publish_command_menu(application.bot)


def build_application(
    *,
    token: str | None = None,
    base_url: str | None = None,
    rate_limiter: PoliteRateLimiter | None = None,
    with_updater: bool = True,
) -> Application:
    """The bot. ``with_updater=False`` for webhook mode (updates come from the web process)."""
    token = token or django_settings.TELEGRAM_BOT_TOKEN
    if not token:
        raise RuntimeError("TELEGRAM_BOT_TOKEN is not set: the bot is off.")
    base_url = base_url or django_settings.TELEGRAM_API_BASE_URL
    root, _sep, last = base_url.rstrip("/").rpartition("/")
    processor = ChatSequentialProcessor()
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .base_file_url(f"{root}/file/{last}")
        .concurrent_updates(processor)
        # A handler has one request in flight at a time, so a connection per update that may
        # run at once (and a few spare) means a message the rate limiter let go never waits
        # in httpx's pool: it would go out late, bunched with the ones after it.
        .connection_pool_size(processor.max_concurrent_updates + 8)
        .rate_limiter(rate_limiter or PoliteRateLimiter())
        .post_init(_post_init)
    )
    if not with_updater:
        builder = builder.updater(None)
    application = builder.build()
    add_handlers(application)
    return application

"""/help, unknown commands, free text, stale buttons, and the one error handler."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden

from backend.core.errors import database_error
from bots import bridge, messages
from bots.handlers.common import Context, guarded, language, say, telegram_language

logger = logging.getLogger(__name__)


@guarded
async def help_command(update: Update, context: Context) -> None:
    """What the bot can do."""
    await say(update, messages.help_text(await language(update)))


@guarded
async def unknown_command(update: Update, context: Context) -> None:
    """A command we do not have."""
    await say(update, messages.unknown_command(await language(update)))


async def free_text(update: Update, context: Context) -> None:
    """Text outside a conversation gets a short help answer."""
    await say(update, messages.free_text(await language(update)))


@guarded
async def stale_button(update: Update, context: Context) -> None:
    """A button whose data we do not recognise (old message, or forged)."""
    await say(update, messages.stale_button(await language(update)))


async def on_any_update(update: Update, context: Context) -> None:
    """Runs before the handlers: whoever writes to the bot has not blocked it."""
    if update.effective_chat is not None and update.effective_chat.type == "private":
        try:
            await bridge.chat_returned(update.effective_chat.id)
        except Exception as error:
            # Bookkeeping only: with the database out of reach, the handler that follows
            # tells the volunteer so (once), rather than the error handler apologising too.
            if database_error(error) is None:
                raise


async def on_error(update: object, context: Context) -> None:
    """Log the error first; then mark blocked volunteers, or apologise to the volunteer."""
    logger.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if isinstance(context.error, Forbidden):
        await bridge.mark_unreachable(update.effective_chat.id)
        return
    try:
        try:
            lang = await language(update)
        except Exception:
            # The database may be what failed; apologise in Telegram's guess of the language.
            lang = telegram_language(update)
        await say(update, messages.something_went_wrong(lang))
    except Exception:
        logger.warning("could not apologise to chat %s", update.effective_chat.id, exc_info=True)

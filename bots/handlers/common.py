"""What every handler needs: who is writing, in which language, and one way to answer."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import ContextTypes

from backend.core.errors import DomainError, database_error
from backend.telegram.callbacks import LANGUAGES, Callback
from bots import bridge, messages
from bots.keyboards import parse

logger = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
# python-telegram-bot's handlers take coroutine functions (not any awaitable).
Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def chat_id(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


async def language(update: Update) -> str:
    user = update.effective_user
    return await bridge.chat_language(chat_id(update), (user.language_code or "") if user else "")


def telegram_language(update: Update) -> str:
    """Telegram's guess of the person's language, for when the database cannot tell."""
    user = update.effective_user
    code = user.language_code if user else None
    return code if code in LANGUAGES else "nl"


async def language_or_guess(update: Update) -> str:
    """The person's language; Telegram's guess of it while the database is out of reach."""
    try:
        return await language(update)
    except Exception as error:
        if database_error(error) is None:
            raise
        return telegram_language(update)


async def say(update: Update, text: str, markup: Markup | None = None) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(text, reply_markup=markup)


async def edit(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Replace the message whose button was pressed (a page, a confirmation)."""
    query = update.callback_query
    assert query is not None
    await query.edit_message_text(text, reply_markup=markup)


def callback(update: Update) -> Callback | None:
    query = update.callback_query
    return parse(query.data) if query is not None else None


def guarded(fn: Handler) -> Handler:
    """Answer the button press first, then run ``fn``; turn "no account" and domain errors
    into a sentence in the volunteer's language."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: Context) -> None:
        if update.callback_query is not None:
            await update.callback_query.answer()
        try:
            await fn(update, context)
        except bridge.NotSignedUp:
            await say(update, messages.not_signed_up(await language(update)))
        except DomainError as error:
            logger.info("refused %s: %s", fn.__name__, error.code)
            await say(update, messages.domain_error(await language(update), error))
        except Exception as error:
            # Busy rows or a lost database connection: nothing changed, say so in their
            # language (the same sentence and code as the API's 503) instead of "oops".
            refusal = database_error(error)
            if refusal is None:
                raise
            logger.warning("refused %s: %s", fn.__name__, refusal.code)
            # Their language is in the database too: when it is out of reach, still say it.
            await say(update, messages.domain_error(await language_or_guess(update), refusal))

    return wrapper


async def volunteer_or_invite(update: Update) -> bridge.Volunteer | None:
    """The volunteer writing, or None after telling them to sign up first."""
    volunteer = await bridge.volunteer_for_chat(chat_id(update))
    if volunteer is None:
        await say(update, messages.not_signed_up(await language(update)))
    return volunteer

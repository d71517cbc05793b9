"""Messages the bot starts itself (not answers): skip blocked volunteers, notice new blocks."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import Forbidden

from bots import bridge

logger = logging.getLogger(__name__)


async def send_to_user(bot: Bot, user_id: int, text: str) -> bool:
    """Send ``text`` to a user's Telegram chat. False when they have none or blocked us.

    A 403 marks the volunteer unreachable; they are not messaged again until they write to
    the bot. A 429 is retried by the bot's rate limiter.
    """
    chat = await bridge.chat_of_user(user_id)
    if chat is None:
        return False
    try:
        await bot.send_message(chat, text)
    except Forbidden:
        logger.info("user %s blocked the bot; marking unreachable", user_id)
        await bridge.mark_unreachable(chat)
        return False
    return True

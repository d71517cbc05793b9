"""/my's past shifts: the latest ones with the hours volunteered, and the year's and all
hours."""

from __future__ import annotations

from telegram import Update

from bots import bridge, messages
from bots.handlers.common import Context, chat_id, guarded, say, volunteer_or_invite


@guarded
async def on_history(update: Update, context: Context) -> None:
    """Past shifts, latest first, with hours; the totals this year and in all."""
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    history = await bridge.history(chat_id(update))
    for piece in messages.split_message(messages.history(volunteer.language, history)):
        await say(update, piece)

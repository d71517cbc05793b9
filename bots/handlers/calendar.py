"""/my's calendar link: the volunteer's own iCalendar feed, to subscribe to in a calendar app."""

from __future__ import annotations

from telegram import Update

from bots import bridge, messages
from bots.handlers.common import Context, chat_id, guarded, say, volunteer_or_invite


@guarded
async def on_calendar(update: Update, context: Context) -> None:
    """The secret link of the volunteer's own feed (made on first use)."""
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    link = await bridge.calendar_link(chat_id(update))
    await say(update, messages.calendar_link(volunteer.language, link))

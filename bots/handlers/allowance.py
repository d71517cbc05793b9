"""/allowance: the volunteer's allowances of this year over every organisation, and what the
legal caps still leave (the ledger and its rules are the allowances services')."""

from __future__ import annotations

from telegram import Update

from bots import bridge, messages
from bots.handlers.common import Context, chat_id, guarded, say, volunteer_or_invite


@guarded
async def allowance(update: Update, context: Context) -> None:
    """This year's allowances, what remains under the caps, and the latest entries."""
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    year = await bridge.allowance_year(chat_id(update))
    await say(update, messages.allowance(volunteer.language, year))

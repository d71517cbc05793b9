"""/suggest: a few shifts picked for the volunteer (``backend.shifts.suggestions``), each with
why, and the list's Claim and Details buttons, so the claim flow of /shifts (the information
note, the date of birth) handles the press."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bots import bridge, messages
from bots.handlers.common import Context, chat_id, guarded, say, volunteer_or_invite
from bots.keyboards import button, rows


def suggestions_markup(lang: str, found: bridge.Suggestions) -> InlineKeyboardMarkup:
    return rows(
        *(
            [
                button(messages.claim_button(lang, number, s.shift.title), "claim", s.shift.id),
                button(messages.details_button(lang, number), "info", s.shift.id),
            ]
            for number, s in enumerate(found.suggestions, 1)
        )
    )


@guarded
async def suggest(update: Update, context: Context) -> None:
    """Shifts picked for this volunteer: short of people, soon, and a good fit."""
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    found = await bridge.suggestions(chat_id(update))
    lang = volunteer.language
    await say(update, messages.suggestions(lang, found), suggestions_markup(lang, found))

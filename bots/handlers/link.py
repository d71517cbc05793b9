"""/link CODE: attach this chat to an account made in the app (code from the API); /join CODE:
join an organisation with its invite code."""

from __future__ import annotations

from telegram import Update

from backend.core.errors import DomainError
from bots import bridge, messages
from bots.handlers.common import Context, chat_id, guarded, language, say, volunteer_or_invite


async def say_joined(update: Update, lang: str, joined: bridge.Joined) -> None:
    """The organisation joined, and the date of birth it asks, if the bot now asks it."""
    await say(update, messages.joined(lang, joined.organisation))
    if joined.birth_date_asked:
        await say(update, messages.ask_birth_date_for(lang, joined.organisation))


async def link_with_code(update: Update, code: str) -> None:
    try:
        volunteer = await bridge.link_account(chat_id(update), code)
    except DomainError as error:
        await say(update, messages.domain_error(await language(update), error))
        return
    await say(update, messages.linked(volunteer.language, volunteer.display_name))


@guarded
async def link(update: Update, context: Context) -> None:
    """Link this chat to an existing account with a one-time code."""
    if not context.args:
        await say(update, messages.link_usage(await language(update)))
        return
    await link_with_code(update, context.args[0])


@guarded
async def join(update: Update, context: Context) -> None:
    """Join an organisation with an invite code (the same as its invite link)."""
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    if not context.args:
        await say(update, messages.join_usage(volunteer.language))
        return
    try:
        joined = await bridge.join_organisation(chat_id(update), context.args[0])
    except DomainError as error:
        await say(update, messages.domain_error(volunteer.language, error))
        return
    await say_joined(update, volunteer.language, joined)

"""Leaving an organisation from /my: choose one of one's organisations, read what leaving
cancels, confirm; then ``membership_end``, as the API's ``.../leave/``."""

from __future__ import annotations

from telegram import Update

from bots import bridge, messages
from bots.handlers.common import Context, callback, chat_id, edit, guarded, say, volunteer_or_invite
from bots.keyboards import button, rows


@guarded
async def on_leave(update: Update, context: Context) -> None:
    """The volunteer's organisations, one button each."""
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    organisations = await bridge.my_organisations(chat_id(update))
    lang = volunteer.language
    markup = rows(*([button(o.name[:60], "leaveorg", o.id)] for o in organisations))
    text = messages.choose_organisation_to_leave(lang, bool(organisations))
    await say(update, text, markup if organisations else None)


@guarded
async def on_leave_organisation(update: Update, context: Context) -> None:
    """One organisation chosen: say what leaving cancels and ask to confirm."""
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    leaving = await bridge.leaving(chat_id(update), data.int_arg(0))
    lang = volunteer.language
    markup = rows(
        [
            button(messages.yes_leave_button(lang), "leaveyes", leaving.organisation_id),
            button(messages.no_stay_button(lang), "leaveno", leaving.organisation_id),
        ]
    )
    await edit(update, messages.confirm_leave(lang, leaving), markup)


@guarded
async def on_leave_confirmed(update: Update, context: Context) -> None:
    """Yes, leave: the membership ends and the upcoming claims there are cancelled."""
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    left = await bridge.leave(chat_id(update), data.int_arg(0))
    await edit(update, messages.left(volunteer.language, left))


@guarded
async def on_leave_declined(update: Update, context: Context) -> None:
    """No, stay."""
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    await edit(update, messages.stayed(volunteer.language))

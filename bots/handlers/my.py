"""/my: the volunteer's upcoming claims, each with a Cancel button and a confirmation step,
and Check in / Check out buttons on the day; under them the calendar link, past shifts and
hours, and leaving an organisation (``bots/handlers/calendar.py``, ``history.py``,
``leaving.py``)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, Update

from bots import bridge, messages
from bots.handlers.common import Context, callback, chat_id, edit, guarded, say, volunteer_or_invite
from bots.keyboards import button, rows


@guarded
async def my_claims(update: Update, context: Context) -> None:
    """Upcoming claims with Cancel buttons."""
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    claims = await bridge.my_claims(chat_id(update))
    lang = volunteer.language
    buttons = []
    for number, claim in enumerate(claims, 1):
        title = claim.shift.title
        if claim.can_check_in:
            buttons.append(
                [button(messages.check_in_button(lang, number, title), "checkin", claim.id)]
            )
        if claim.can_check_out:
            buttons.append(
                [button(messages.check_out_button(lang, number, title), "checkout", claim.id)]
            )
        if not claim.started:
            buttons.append(
                [button(messages.cancel_button(lang, number, title), "cancel", claim.id)]
            )
    buttons += _more(lang)
    await say(update, messages.my_claims(lang, claims), rows(*buttons) if buttons else None)


@guarded
async def on_cancel(update: Update, context: Context) -> None:
    """Cancel button: ask to confirm, warning when the deadline has passed."""
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    claim = await bridge.claim_to_cancel(chat_id(update), data.int_arg(0))
    options = await bridge.stand_in_options(chat_id(update), claim.id)
    lang = volunteer.language
    buttons = [
        [
            button(messages.yes_cancel_button(lang), "cancelyes", claim.id),
            button(messages.no_keep_button(lang), "cancelno", claim.id),
        ]
    ]
    # Rather than cancel: a stand-in (or withdrawing the request already out), or a swap.
    if options.can_ask:
        buttons.append([button(messages.stand_in_button(lang), "stand", claim.id)])
    if options.asking:
        buttons.append([button(messages.withdraw_stand_in_button(lang), "standno", claim.id)])
    if options.can_swap:
        buttons.append([button(messages.swap_offer_button(lang), "swap", claim.id)])
    text = messages.confirm_cancel(lang, claim)
    if options.can_ask or options.can_swap:
        text += "\n\n" + messages.stand_in_hint(lang)
    await say(update, text, rows(*buttons))


@guarded
async def on_cancel_confirmed(update: Update, context: Context) -> None:
    """Yes, cancel: the claim is cancelled (a waitlisted volunteer may move up)."""
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    claim = await bridge.cancel_claim(chat_id(update), data.int_arg(0))
    await edit(update, messages.cancelled(volunteer.language, claim))


@guarded
async def on_cancel_declined(update: Update, context: Context) -> None:
    """No, keep it."""
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    await edit(update, messages.kept(volunteer.language))


@guarded
async def on_check_in(update: Update, context: Context) -> None:
    """Check in on one's own shift (from shortly before the start until its end)."""
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    claim = await bridge.check_in(chat_id(update), data.int_arg(0))
    await edit(update, messages.checked_in(volunteer.language, claim))


@guarded
async def on_check_out(update: Update, context: Context) -> None:
    """Check out: the claim is completed with the time volunteered."""
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    claim = await bridge.check_out(chat_id(update), data.int_arg(0))
    await edit(update, messages.checked_out(volunteer.language, claim))


def _more(lang: str) -> list[list[InlineKeyboardButton]]:
    """The buttons under the claims (the calendar link only where the bot can give one)."""
    first = [button(messages.history_button(lang), "history")]
    if bridge.calendar_link_offered():
        first.insert(0, button(messages.calendar_button(lang), "calendar"))
    return [first, [button(messages.leave_button(lang), "leave")]]

"""Stand-ins and swaps: offered where a volunteer would cancel (/my's Cancel and a reminder's
"I can't make it"), and the Accept / No thanks buttons of the worker's messages to those
asked. The rules are the services' (``backend/shifts/services/stand_ins.py`` and
``swaps.py``); a refusal (taken, closed, too late) is their sentence."""

from __future__ import annotations

from telegram import Update

from bots import bridge, messages
from bots.handlers.common import Context, callback, chat_id, edit, guarded, say, volunteer_or_invite
from bots.keyboards import button, rows


@guarded
async def on_ask(update: Update, context: Context) -> None:
    """Find a stand-in: the first wave is asked at once."""
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    asked = await bridge.ask_stand_in(chat_id(update), data.int_arg(0))
    lang = volunteer.language
    markup = rows([button(messages.withdraw_stand_in_button(lang), "standno", data.int_arg(0))])
    await edit(update, messages.stand_in_asked(lang, asked), markup)


@guarded
async def on_withdraw(update: Update, context: Context) -> None:
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    shift = await bridge.withdraw_stand_in(chat_id(update), data.int_arg(0))
    await edit(update, messages.stand_in_withdrawn(volunteer.language, shift))


@guarded
async def on_accept(update: Update, context: Context) -> None:
    """I'll take over: the first to press it gets the seat."""
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    claim = await bridge.accept_stand_in(chat_id(update), data.int_arg(0))
    await edit(update, messages.stand_in_accepted(volunteer.language, claim))


@guarded
async def on_decline(update: Update, context: Context) -> None:
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    await bridge.decline_stand_in(chat_id(update), data.int_arg(0))
    await edit(update, messages.thanks_for_answering(volunteer.language))


@guarded
async def on_swap(update: Update, context: Context) -> None:
    """Swap: the shifts the volunteer could take instead, one button each."""
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    own, targets = await bridge.swap_targets(chat_id(update), data.int_arg(0))
    lang = volunteer.language
    markup = rows(
        *(
            [button(messages.swap_target_button(lang, t.shift), "swapto", t.claim_id, t.shift.id)]
            for t in targets
        )
    )
    await say(update, messages.swap_choose(lang, own, len(targets)), markup if targets else None)


@guarded
async def on_swap_to(update: Update, context: Context) -> None:
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    offered = await bridge.propose_swap(chat_id(update), data.int_arg(0), data.int_arg(1))
    await edit(update, messages.swap_proposed(volunteer.language, offered))


@guarded
async def on_swap_accept(update: Update, context: Context) -> None:
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    claim = await bridge.accept_swap(chat_id(update), data.int_arg(0))
    await edit(update, messages.swap_done(volunteer.language, claim))


@guarded
async def on_swap_decline(update: Update, context: Context) -> None:
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    await bridge.decline_swap(chat_id(update), data.int_arg(0))
    await edit(update, messages.thanks_for_answering(volunteer.language))

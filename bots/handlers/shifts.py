"""/shifts and /online: shifts that match the volunteer, a page at a time, with Claim buttons."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bots import bridge, messages
from bots.handlers.claiming import claim_and_answer
from bots.handlers.common import Context, callback, chat_id, edit, guarded, say, volunteer_or_invite
from bots.keyboards import button, rows


def page_markup(lang: str, page: bridge.ShiftPage) -> InlineKeyboardMarkup:
    claims = [
        [
            button(messages.claim_button(lang, number, shift.title), "claim", shift.id),
            button(messages.details_button(lang, number), "info", shift.id),
        ]
        for number, shift in enumerate(page.shifts, 1)
    ]
    nav: list[InlineKeyboardButton] = []
    if page.has_previous:
        nav.append(button(messages.previous_button(lang), "page", page.kind, page.page - 1))
    if page.has_next:
        nav.append(button(messages.next_button(lang), "page", page.kind, page.page + 1))
    return rows(*claims, nav)


async def _list(update: Update, kind: str) -> None:
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    page = await bridge.shift_page(chat_id(update), kind, 0)
    lang = volunteer.language
    await say(update, messages.shift_page(lang, page), page_markup(lang, page))


@guarded
async def list_shifts(update: Update, context: Context) -> None:
    """Upcoming shifts this volunteer can claim."""
    await _list(update, "all")


@guarded
async def list_online(update: Update, context: Context) -> None:
    """Online engagements only, including help needed within the hour."""
    await _list(update, "online")


@guarded
async def on_page(update: Update, context: Context) -> None:
    """Previous/next page: the list message is replaced."""
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    page = await bridge.shift_page(chat_id(update), data.str_arg(0), data.int_arg(1))
    lang = volunteer.language
    await edit(update, messages.shift_page(lang, page), page_markup(lang, page))


@guarded
async def on_claim(update: Update, context: Context) -> None:
    """Claim button: the answer comes at once (confirmed, waitlisted, why not, or what the
    law asks first)."""
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    shift_id = data.int_arg(0)
    await claim_and_answer(
        update, volunteer.language, shift_id, bridge.claim(chat_id(update), shift_id)
    )


@guarded
async def on_info(update: Update, context: Context) -> None:
    """A shift's details before claiming (description, the town or online, what it asks,
    seats), with its Claim button."""
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    details = await bridge.shift_details(chat_id(update), data.int_arg(0))
    lang = volunteer.language
    await say(
        update,
        messages.shift_details(lang, details),
        rows([button(messages.claim_this_button(lang), "claim", details.shift.id)]),
    )

"""Claiming a shift, and what Belgian volunteer law asks first: reading the organisation's
information note, the date of birth when the shift or the organisation needs it, and the
school attestation that lets a 15-year-old help.

Every refusal is ``claim_create``'s: this module answers one with the question that lifts
it, records the answer through the services, and claims again.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable

from telegram import Update

from backend.core.errors import (
    BirthDateRequired,
    InfoNoteChanged,
    InfoNoteRequired,
    TooYoung,
    ValidationFailed,
)
from bots import bridge, messages
from bots.handlers.common import Context, callback, chat_id, guarded, say, volunteer_or_invite
from bots.keyboards import button, rows

_DAY_FIRST = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def read_date(text: str) -> dt.date | None:
    """A date written as 31-03-2008, 31/03/2008, 31.03.2008 or 2008-03-31, or None."""
    text = text.strip()
    if match := _DAY_FIRST.fullmatch(text):
        day, _separator, month, year = match.groups()
    elif match := _ISO.fullmatch(text):
        year, month, day = match.groups()
    else:
        return None
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


async def show_note(update: Update, lang: str, note: bridge.NoteView) -> None:
    """The note, with "I have read it" under its last message."""
    *first, last = messages.info_note(lang, note)
    for text in first:
        await say(update, text)
    read = button(
        messages.note_read_button(lang), "note", note.organisation_id, note.version, note.shift_id
    )
    await say(update, last, rows([read]))


async def claim_and_answer(
    update: Update, lang: str, shift_id: int, claiming: Awaitable[bridge.ClaimView]
) -> None:
    """Answer a claim: its result, or the question that lifts its refusal. Other refusals
    are ``guarded``'s to put in words."""
    chat = chat_id(update)
    try:
        claim = await claiming
    except InfoNoteRequired:
        await show_note(update, lang, await bridge.info_note_for_shift(chat, shift_id))
    except InfoNoteChanged as changed:
        await say(update, messages.domain_error(lang, changed))
        await show_note(update, lang, await bridge.info_note_for_shift(chat, shift_id))
    except BirthDateRequired:
        await bridge.birth_date_ask(chat, shift_id)
        await say(update, messages.ask_birth_date(lang))
    except TooYoung as too_young:
        if not await bridge.attestation_would_do(chat, shift_id):
            raise
        await say(
            update,
            messages.attestation_offer(lang, too_young),
            rows([button(messages.attestation_button(lang), "attest", shift_id)]),
        )
    else:
        await say(update, messages.claim_result(lang, claim))


@guarded
async def on_note_read(update: Update, context: Context) -> None:
    """I have read it: that version acknowledged, then the claim it was read for."""
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    organisation_id, version, shift_id = data.int_arg(0), data.int_arg(1), data.int_arg(2)
    await claim_and_answer(
        update,
        volunteer.language,
        shift_id,
        bridge.acknowledge_and_claim(chat_id(update), organisation_id, version, shift_id),
    )


@guarded
async def on_attest(update: Update, context: Context) -> None:
    """The school attestation: saved on the profile, then the claim that asked for it."""
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    shift_id = data.int_arg(0)
    await claim_and_answer(
        update, volunteer.language, shift_id, bridge.attest_and_claim(chat_id(update), shift_id)
    )


@guarded
async def on_birth_date(update: Update, context: Context) -> None:
    """Text while a claim waits for the date of birth: saved, then the claim again; anything
    else is asked again."""
    assert update.message is not None and update.message.text is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    lang = volunteer.language
    birth_date = read_date(update.message.text)
    if birth_date is None:
        await say(update, messages.birth_date_unreadable(lang))
        return
    try:
        shift_id = await bridge.birth_date_give(chat_id(update), birth_date)
    except ValidationFailed as refused:
        problems = refused.fields.get("birth_date") or [str(refused.detail)]
        await say(update, messages.birth_date_refused(lang, problems[0]))
        return
    await say(update, messages.birth_date_saved(lang, birth_date))
    if shift_id is not None:
        await claim_and_answer(update, lang, shift_id, bridge.claim(chat_id(update), shift_id))

"""Answers to what the worker sent: "I'm coming" on a reminder, the follow-up's score and
its optional free-text comment. ("I can't make it" is the /my cancel flow's button.) Free
text comes here first, as it may answer a question (``on_text``): the date of birth, the day
of the C45B, a follow-up's comment."""

from __future__ import annotations

import contextlib

from telegram import Update
from telegram.error import TelegramError

from bots import bridge, messages
from bots.handlers import benefit, claiming, signup
from bots.handlers.common import Context, callback, chat_id, edit, guarded, say, volunteer_or_invite


@guarded
async def on_coming(update: Update, context: Context) -> None:
    """I'm coming: recorded on the claim (the buttons go, the reminder stays)."""
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    claim = await bridge.confirm_attendance(chat_id(update), data.int_arg(0))
    # The reminder stays in the chat, without its buttons: the answer is given.
    query = update.callback_query
    if query is not None and query.message is not None:
        with contextlib.suppress(TelegramError):  # too old to edit, or edited already
            await query.edit_message_reply_markup(reply_markup=None)
    await say(update, messages.attendance_noted(volunteer.language, claim))


@guarded
async def on_score(update: Update, context: Context) -> None:
    """A 1-5 score for a shift; invites an optional comment."""
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    score = int(data.str_arg(1))
    await bridge.follow_up_score(chat_id(update), data.int_arg(0), score)
    await edit(update, messages.score_noted(volunteer.language, score))


async def on_text(update: Update, context: Context) -> None:
    """Text answers what the bot asked: the date of birth (for a claim, or on joining), the
    day the C45B was handed in, or the comment on a follow-up just scored; any other text as
    before."""
    assert update.message is not None and update.message.text is not None
    text = update.message.text
    if text.startswith("/"):
        await signup.on_text(update, context)
        return
    chat = chat_id(update)
    asked = await bridge.open_questions(chat)
    day = claiming.read_date(text)
    # A date answers a date question; other text may still be a follow-up's comment. The
    # C45B question stays open while its day is unknown, so only a date answers it.
    if (
        day is not None
        and asked.c45b_day
        and (not asked.birth_date or benefit.c45b_rather_than_birth_date(day))
    ):
        await benefit.on_c45b_date(update, context)
    elif day is not None and asked.birth_date:
        await claiming.on_birth_date(update, context)
    elif await bridge.follow_up_comment(chat, text):
        volunteer = await bridge.volunteer_for_chat(chat)
        await say(update, messages.comment_noted(volunteer.language if volunteer else "nl"))
    elif asked.birth_date:
        await claiming.on_birth_date(update, context)
    else:
        await signup.on_text(update, context)

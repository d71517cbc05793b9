"""Answers to what the worker sent: "I'm coming" on a reminder, the follow-up's score and
its optional free-text comment. ("I can't make it" is the /my cancel flow's button.)"""

from __future__ import annotations

from telegram import Update

from bots import bridge, messages
from bots.handlers import signup
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
    """Text right after a follow-up score is its comment; any other text as before."""
    assert update.message is not None and update.message.text is not None
    if not update.message.text.startswith("/") and await bridge.follow_up_comment(
        chat_id(update), update.message.text
    ):
        volunteer = await bridge.volunteer_for_chat(chat_id(update))
        await say(update, messages.comment_noted(volunteer.language if volunteer else "nl"))
        return
    await signup.on_text(update, context)

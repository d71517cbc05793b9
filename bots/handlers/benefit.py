"""Benefits (Belgium), as the volunteer says: which one they receive, what to do about it, and
for unemployment benefit the day they handed in the C45B (from /settings, or the button at
the end of the sign-up). Inzet helps and never decides: the advice is the domain's.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from telegram import InlineKeyboardMarkup, Update

from backend.accounts.models import Benefit
from backend.core.errors import ValidationFailed
from backend.shifts.services.eligibility import ATTESTED_MIN_AGE
from backend.telegram.callbacks import BENEFITS
from bots import bridge, messages
from bots.handlers.claiming import read_date
from bots.handlers.common import Context, callback, chat_id, edit, guarded, language, say
from bots.keyboards import button, rows


def _benefit(token: str) -> str:
    return "" if token == "none" else token


def benefit_choice(lang: str) -> InlineKeyboardMarkup:
    """One button per benefit, "no benefit" first."""
    return rows(
        *(
            [button(messages.benefit_label(lang, _benefit(token)), "ben", token)]
            for token in BENEFITS
        )
    )


def c45b_rather_than_birth_date(day: dt.date) -> bool:
    """For a date sent while the bot asks both: a day less than 15 years ago is no volunteer's
    date of birth (the youngest may help at 15), so it is the day of the C45B."""
    today = timezone.localdate()
    age = today.year - day.year - ((today.month, today.day) < (day.month, day.day))
    return age < ATTESTED_MIN_AGE


@guarded
async def on_benefit(update: Update, context: Context) -> None:
    """A benefit chosen: saved, its advice, and for unemployment benefit the C45B question."""
    data = callback(update)
    assert data is not None
    saved = await bridge.set_benefit(chat_id(update), _benefit(data.str_arg(0)))
    volunteer = saved.volunteer
    lang = volunteer.language
    await edit(update, messages.benefit_saved(lang, volunteer.benefit, saved.advice))
    if volunteer.benefit == Benefit.UNEMPLOYMENT:
        await say(
            update,
            messages.ask_c45b_day(lang),
            rows(
                [
                    button(messages.c45b_today_button(lang), "c45b", "today"),
                    button(messages.c45b_not_yet_button(lang), "c45b", "notyet"),
                ]
            ),
        )


@guarded
async def on_c45b(update: Update, context: Context) -> None:
    """Today or Not yet, under the C45B question."""
    data = callback(update)
    assert data is not None
    chat = chat_id(update)
    if data.str_arg(0) == "today":
        saved = await bridge.set_c45b_today(chat)
    else:
        saved = await bridge.set_c45b(chat, None)
    if saved is None:
        await say(update, messages.stale_button(await language(update)))
        return
    await edit(update, messages.c45b_saved(saved.language, saved))


@guarded
async def on_c45b_date(update: Update, context: Context) -> None:
    """A date while the bot waits for the day the C45B was handed in."""
    assert update.message is not None and update.message.text is not None
    day = read_date(update.message.text)
    assert day is not None
    try:
        saved = await bridge.set_c45b(chat_id(update), day)
    except ValidationFailed as refused:
        problems = refused.fields.get("c45b_handed_in_on") or [str(refused.detail)]
        await say(update, messages.c45b_refused(await language(update), problems[0]))
        return
    if saved is None:
        # The benefit changed in the app meanwhile: the date answers nothing any more.
        await say(update, messages.free_text(await language(update)))
        return
    await say(update, messages.c45b_saved(saved.language, saved))

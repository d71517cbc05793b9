"""/settings: language, on site or online, reminders, being asked to stand in, help-now
alerts, the weekly digest, the benefit received, and "delete my data"."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from backend.telegram.callbacks import LANGUAGES, MODES, REMINDER_PRESETS
from bots import bridge, messages
from bots.handlers.benefit import benefit_choice
from bots.handlers.common import Context, callback, chat_id, edit, guarded, say, volunteer_or_invite
from bots.keyboards import button, rows


def settings_markup(volunteer: bridge.Volunteer) -> InlineKeyboardMarkup:
    lang = volunteer.language
    return rows(
        [button(messages.language_button(lang), "set", "lang")],
        [button(messages.mode_button(lang), "set", "mode")],
        [button(messages.reminders_button(lang, volunteer.reminders_enabled), "set", "rem")],
        [button(messages.reminder_times_button(lang), "set", "when")],
        *(
            [button(messages.switch_button(lang, switch, getattr(volunteer, field)), "set", switch)]
            for switch, field in bridge.SWITCHES.items()
        ),
        [button(messages.benefit_button(lang), "set", "ben")],
        [button(messages.delete_button(lang), "set", "del")],
    )


async def _show(update: Update, volunteer: bridge.Volunteer) -> None:
    times = await bridge.reminder_times(volunteer.user_id)
    text = messages.settings_text(volunteer.language, volunteer, times)
    await say(update, text, settings_markup(volunteer))


@guarded
async def show_settings(update: Update, context: Context) -> None:
    """The volunteer's settings, with buttons to change them."""
    volunteer = await volunteer_or_invite(update)
    if volunteer is not None:
        await _show(update, volunteer)


@guarded
async def on_setting(update: Update, context: Context) -> None:
    """A settings button: offer the choices (or turn reminders or a switch over at once)."""
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    lang = volunteer.language
    what = data.str_arg(0)
    if what == "lang":
        await edit(
            update,
            messages.choose_language(lang),
            rows([button(messages.LANGUAGE_NAMES[code], "lang", code) for code in LANGUAGES]),
        )
    elif what == "mode":
        await edit(
            update,
            messages.ask_mode(lang),
            rows([button(messages.mode_label(lang, mode), "mode", mode) for mode in MODES]),
        )
    elif what == "rem":
        volunteer = await bridge.toggle_reminders(chat_id(update))
        await edit(
            update,
            messages.reminders_set(lang, volunteer.reminders_enabled),
        )
    elif what in bridge.SWITCHES:
        volunteer = await bridge.toggle_switch(chat_id(update), what)
        field = bridge.SWITCHES[what]
        await edit(update, messages.switch_set(lang, what, getattr(volunteer, field)))
    elif what == "when":
        await edit(
            update,
            messages.ask_reminder_times(lang),
            rows(
                *(
                    [button(messages.reminder_times_label(lang, preset), "when", str(n))]
                    for n, preset in enumerate(REMINDER_PRESETS)
                )
            ),
        )
    elif what == "ben":
        # Also the button at the end of the sign-up.
        await edit(update, messages.choose_benefit(lang), benefit_choice(lang))
    elif what == "del":
        await edit(
            update,
            messages.confirm_delete(lang),
            rows(
                [button(messages.yes_delete_button(lang), "del", "yes")],
                [button(messages.no_button(lang), "del", "no")],
            ),
        )


@guarded
async def on_language(update: Update, context: Context) -> None:
    """Switch language; from now on every text is in it."""
    data = callback(update)
    assert data is not None
    volunteer = await bridge.set_language(chat_id(update), data.str_arg(0))
    await edit(update, messages.language_set(volunteer.language))
    await _show(update, volunteer)


@guarded
async def on_mode(update: Update, context: Context) -> None:
    """On site, online or both."""
    data = callback(update)
    assert data is not None
    volunteer = await bridge.set_mode(chat_id(update), data.str_arg(0))
    await edit(update, messages.mode_set(volunteer.language, volunteer.mode_preference))


@guarded
async def on_reminder_times(update: Update, context: Context) -> None:
    """One of the reminder-time presets."""
    data = callback(update)
    assert data is not None
    offsets = REMINDER_PRESETS[int(data.str_arg(0))]
    volunteer, saved = await bridge.set_reminder_times(chat_id(update), offsets)
    await edit(update, messages.reminder_times_set(volunteer.language, saved))


@guarded
async def on_delete(update: Update, context: Context) -> None:
    """Delete my data (confirmed), through the same erasure as the API's DELETE /me/."""
    data = callback(update)
    assert data is not None
    volunteer = await volunteer_or_invite(update)
    if volunteer is None:
        return
    lang = volunteer.language
    if data.str_arg(0) != "yes":
        await edit(update, messages.delete_kept(lang))
        return
    await bridge.erase(chat_id(update))
    await edit(update, messages.deleted(lang))

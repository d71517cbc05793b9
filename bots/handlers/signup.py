"""Quick sign-up: /start (with an optional invite code), at most five questions, /cancel.

Steps: language -> name -> on site/online -> postcode (skipped for online-only) -> consent
(with an optional shared phone number). The answers live in a ``SignupDraft`` row. After it:
the organisation joined, a button for volunteers who receive a benefit, and the date of birth
if the organisation asks it.
"""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update

from backend.core.errors import DomainError
from backend.telegram.callbacks import LANGUAGES, MODES
from bots import bridge, messages
from bots.handlers.common import Context, callback, chat_id, guarded, language, say
from bots.handlers.help import free_text
from bots.handlers.link import link_with_code, say_joined
from bots.keyboards import button, rows

LINK_PREFIX = "link-"


async def ask(update: Update, draft: bridge.Draft) -> None:
    """Send the question of the draft's current step, with its buttons."""
    lang = draft.language
    if draft.step == "language":
        await say(
            update,
            messages.ask_language(lang),
            rows([button(messages.LANGUAGE_NAMES[code], "su", "lang", code) for code in LANGUAGES]),
        )
    elif draft.step == "name":
        first = draft.telegram_first_name
        markup = rows([button(messages.use_name_button(lang, first), "su", "name", "keep")])
        await say(update, messages.ask_name(lang, first), markup if first else None)
    elif draft.step == "mode":
        await say(
            update,
            messages.ask_mode(lang),
            rows([button(messages.mode_label(lang, mode), "su", "mode", mode) for mode in MODES]),
        )
    elif draft.step == "postcode":
        await say(
            update,
            messages.ask_postcode(lang),
            rows([button(messages.skip_button(lang), "su", "pc", "skip")]),
        )
    elif draft.step == "consent":
        keyboard = ReplyKeyboardMarkup(
            [
                [KeyboardButton(messages.agree_with_phone_button(lang), request_contact=True)],
                [KeyboardButton(messages.agree_without_phone_button(lang))],
            ],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        await say(update, messages.ask_consent(lang), keyboard)


@guarded
async def start(update: Update, context: Context) -> None:
    """Sign up; or, from a deep link, join an organisation or link an existing account."""
    payload = context.args[0] if context.args else ""
    if payload.startswith(LINK_PREFIX):
        await link_with_code(update, payload.removeprefix(LINK_PREFIX))
        return
    volunteer = await bridge.volunteer_for_chat(chat_id(update))
    if volunteer is not None:
        await say(update, messages.welcome_back(volunteer.language, volunteer.display_name))
        if payload:
            try:
                joined = await bridge.join_organisation(chat_id(update), payload)
            except DomainError as error:
                await say(update, messages.domain_error(volunteer.language, error))
            else:
                await say_joined(update, volunteer.language, joined)
        return
    user = update.effective_user
    assert user is not None
    draft = await bridge.signup_start(
        chat_id(update), user.first_name or "", payload, user.language_code or ""
    )
    await ask(update, draft)


@guarded
async def cancel(update: Update, context: Context) -> None:
    """Leave the sign-up at any step, or the question for the date of birth."""
    lang = await language(update)
    if await bridge.signup_cancel(chat_id(update)):
        await say(update, messages.signup_cancelled(lang), ReplyKeyboardRemove())
    elif question := await bridge.birth_date_forget(chat_id(update)):
        if question.shift_id is None:
            await say(update, messages.birth_date_postponed(lang))
        else:
            await say(update, messages.birth_date_dropped(lang))
    else:
        await say(update, messages.nothing_to_cancel(lang))


@guarded
async def on_button(update: Update, context: Context) -> None:
    """A sign-up button: record the answer and ask the next question."""
    data = callback(update)
    assert data is not None
    chat = chat_id(update)
    step, value = data.str_arg(0), data.str_arg(1)
    draft = await bridge.signup_draft(chat)
    expected = {"lang": "language", "name": "name", "mode": "mode", "pc": "postcode"}[step]
    answer: bridge.Draft | None = None
    if draft is not None and draft.step == expected:
        if step == "lang" and value in LANGUAGES:
            answer = await bridge.signup_answer(chat, expected, step="name", language=value)
        elif step == "name" and value == "keep" and draft.telegram_first_name:
            answer = await bridge.signup_answer(
                chat, expected, step="mode", display_name=draft.telegram_first_name
            )
        elif step == "mode" and value in MODES:
            # Online-only volunteers are not asked where they live.
            following = "consent" if value == "online" else "postcode"
            answer = await bridge.signup_answer(
                chat, expected, step=following, mode_preference=value
            )
        elif step == "pc" and value == "skip":
            answer = await bridge.signup_answer(chat, expected, step="consent", postcode="")
    if answer is None:
        await say(update, messages.stale_button(await language(update)))
        if draft is not None:
            await ask(update, draft)
        return
    await ask(update, answer)


@guarded
async def on_text(update: Update, context: Context) -> None:
    """Text during the sign-up answers the question if it takes text; otherwise, help."""
    chat = chat_id(update)
    draft = await bridge.signup_draft(chat)
    if draft is None:
        await free_text(update, context)
        return
    assert update.message is not None and update.message.text is not None
    text = update.message.text.strip()
    lang = draft.language
    answer: bridge.Draft | None = None
    if draft.step == "name" and text:
        if len(text) > 100:
            await say(update, messages.name_too_long(lang))
            return
        answer = await bridge.signup_answer(chat, "name", step="mode", display_name=text)
    elif draft.step == "postcode" and text:
        answer = await bridge.signup_answer(chat, "postcode", step="consent", postcode=text[:64])
    elif draft.step == "consent" and text == messages.agree_without_phone_button(lang):
        await finish(update, phone="")
        return
    if answer is None:
        await say(update, messages.please_use_buttons(lang))
        await ask(update, draft)
        return
    await ask(update, answer)


@guarded
async def on_contact(update: Update, context: Context) -> None:
    """The shared phone number at the consent step (sharing it means agreeing)."""
    chat = chat_id(update)
    draft = await bridge.signup_draft(chat)
    message = update.message
    assert message is not None and message.contact is not None
    user = update.effective_user
    # Only the volunteer's own number: a forwarded contact card is someone else's.
    own = user is not None and message.contact.user_id == user.id
    if draft is None or draft.step != "consent" or not own:
        if draft is None:
            await free_text(update, context)
        else:
            await say(update, messages.please_use_buttons(draft.language))
            await ask(update, draft)
        return
    await finish(update, phone=message.contact.phone_number)


async def finish(update: Update, *, phone: str) -> None:
    done = await bridge.signup_finish(chat_id(update), phone)
    if done is None:
        await say(update, messages.stale_button(await language(update)), ReplyKeyboardRemove())
        return
    lang = done.volunteer.language
    await say(
        update, messages.signup_done(lang, done.volunteer.display_name), ReplyKeyboardRemove()
    )
    if done.organisation_name:
        await say(update, messages.joined(lang, done.organisation_name))
    elif done.invite_rejected:
        await say(update, messages.invite_rejected(lang))
    # Offered once, here; later it is in /settings ("set:ben" opens the same choice).
    await say(
        update,
        messages.benefit_offer(lang),
        rows([button(messages.benefit_offer_button(lang), "set", "ben")]),
    )
    if done.birth_date_asked and done.organisation_name:
        # Last, next to the text field: the one question that wants a typed answer.
        await say(update, messages.ask_birth_date_for(lang, done.organisation_name))

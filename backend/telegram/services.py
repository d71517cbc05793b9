"""Writes on Telegram-side state: link codes, sign-up drafts, bot settings, update dedupe."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.accounts.models import User, VolunteerProfile
from backend.telegram.errors import ChatAlreadyLinked, InvalidLinkCode
from backend.telegram.models import LinkCode, ProcessedUpdate, SignupDraft, TelegramAccount

LINK_CODE_LIFETIME = dt.timedelta(minutes=10)
# Telegram re-delivers a failed update for about a day; remembering ids longer is useless.
PROCESSED_UPDATE_RETENTION = dt.timedelta(days=2)


def deep_link(payload: str) -> str | None:
    """The link that opens the bot's /start with ``payload`` (an invite code, or
    ``link-<code>``), or None while the bot's username (``TELEGRAM_BOT_USERNAME``) is not set."""
    username = settings.TELEGRAM_BOT_USERNAME
    return f"https://t.me/{username}?start={payload}" if username else None


@transaction.atomic
def link_code_create(*, user: User) -> LinkCode:
    """A fresh one-time code for ``user``; earlier unused codes stop working."""
    now = timezone.now()
    LinkCode.objects.filter(user=user, used_at__isnull=True).update(expires_at=now)
    return LinkCode.objects.create(
        user=user,
        # Upper-case letters and digits without look-alikes: easy to type on a phone.
        code="".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8)),
        created_at=now,
        expires_at=now + LINK_CODE_LIFETIME,
    )


@transaction.atomic
def telegram_link(*, chat_id: int, code: str) -> User:
    """Attach the Telegram chat to the account that asked for ``code``. Works once."""
    now = timezone.now()
    link = LinkCode.objects.filter(code=code.strip().upper()).select_related("user").first()
    # The conditional update uses the code and checks it in one step, so two chats sending
    # the same code at once can't both succeed.
    if (
        link is None
        or not link.user.is_active
        or LinkCode.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=now).update(
            used_at=now
        )
        != 1
    ):
        raise InvalidLinkCode()
    owner = VolunteerProfile.objects.filter(telegram_chat_id=chat_id).first()
    if owner is not None and owner.user_id != link.user_id:
        raise ChatAlreadyLinked()
    from backend.accounts.services import profile_ensure

    profile = profile_ensure(user=link.user)
    profile.telegram_chat_id = chat_id
    profile.save(update_fields=["telegram_chat_id"])
    TelegramAccount.objects.filter(user=link.user).update(unreachable_since=None)
    return link.user


def update_seen(*, update_id: int) -> bool:
    """Record ``update_id`` as taken; True if it had been taken before (a re-delivery)."""
    try:
        with transaction.atomic():
            ProcessedUpdate.objects.create(update_id=update_id)
    except IntegrityError:
        return True
    if update_id % 500 == 0:
        ProcessedUpdate.objects.filter(
            received_at__lt=timezone.now() - PROCESSED_UPDATE_RETENTION
        ).delete()
    return False


def account_for(*, user: User) -> TelegramAccount:
    account, _created = TelegramAccount.objects.get_or_create(user=user)
    return account


def reminders_set(*, user: User, enabled: bool) -> TelegramAccount:
    account = account_for(user=user)
    account.reminders_enabled = enabled
    account.save(update_fields=["reminders_enabled"])
    return account


# How long the bot takes a message as the date of birth it asked for.
BIRTH_DATE_QUESTION = dt.timedelta(hours=24)


@dataclass(frozen=True)
class BirthDateQuestion:
    """The bot's open question for the volunteer's date of birth."""

    # The shift whose claim waits for the answer; None when the date is asked for its own
    # sake (the volunteer joined an organisation that asks every volunteer's date of birth).
    shift_id: int | None


@transaction.atomic
def birth_date_question_ask(*, user: User, shift_id: int | None = None) -> None:
    """Ask the volunteer's date of birth, for the claim of ``shift_id`` or (None) for its own
    sake; durable, in the database, so any bot process takes the answer, after a restart too.
    Asked without a shift, a claim still waiting for the date keeps waiting: the one answer
    completes it."""
    now = timezone.now()
    # Locked: a claim's question and a join's, asked at once, must not lose the claim.
    account, _created = TelegramAccount.objects.select_for_update().get_or_create(user=user)
    still_open = account.birth_date_asked_until is not None and account.birth_date_asked_until > now
    if shift_id is not None or not still_open:
        account.birth_date_for_shift = shift_id
    account.birth_date_asked_until = now + BIRTH_DATE_QUESTION
    account.save(update_fields=["birth_date_for_shift", "birth_date_asked_until"])


def birth_date_question_pending(*, user: User) -> BirthDateQuestion | None:
    """The open question (with the shift whose claim waits for it, if any), or None."""
    asked = (
        TelegramAccount.objects.filter(user=user, birth_date_asked_until__gt=timezone.now())
        .values("birth_date_for_shift")
        .first()
    )
    return BirthDateQuestion(shift_id=asked["birth_date_for_shift"]) if asked else None


def birth_date_question_close(*, user: User) -> BirthDateQuestion | None:
    """Close the question; the question it was, if it was open (one caller gets it)."""
    question = birth_date_question_pending(user=user)
    closed = TelegramAccount.objects.filter(user=user, birth_date_asked_until__isnull=False).update(
        birth_date_for_shift=None, birth_date_asked_until=None
    )
    return question if closed else None


def chat_mark_unreachable(*, chat_id: int) -> None:
    """Telegram said 403: the volunteer blocked the bot. Stop messaging them."""
    user_id = (
        VolunteerProfile.objects.filter(telegram_chat_id=chat_id)
        .values_list("user_id", flat=True)
        .first()
    )
    if user_id is None:
        return
    account, _created = TelegramAccount.objects.get_or_create(user_id=user_id)
    if account.unreachable_since is None:
        account.unreachable_since = timezone.now()
        account.save(update_fields=["unreachable_since"])


def chat_mark_reachable(*, chat_id: int) -> None:
    """The volunteer wrote to the bot again. One UPDATE that usually touches no row."""
    TelegramAccount.objects.filter(
        user__profile__telegram_chat_id=chat_id, unreachable_since__isnull=False
    ).update(unreachable_since=None)


# --- sign-up drafts --------------------------------------------------------------------------

DRAFT_FIELDS = ("step", "language", "display_name", "mode_preference", "postcode")


# An abandoned sign-up holds a name and maybe a postcode; don't keep it around.
DRAFT_RETENTION = dt.timedelta(days=7)


def signup_draft_start(
    *, chat_id: int, telegram_first_name: str, invite_code: str, language: str
) -> SignupDraft:
    SignupDraft.objects.filter(updated_at__lt=timezone.now() - DRAFT_RETENTION).delete()
    draft, _created = SignupDraft.objects.update_or_create(
        chat_id=chat_id,
        defaults={
            "step": "language",
            "language": language,
            "telegram_first_name": telegram_first_name[:100],
            "display_name": "",
            "mode_preference": "",
            "postcode": "",
            "invite_code": invite_code[:64],
        },
    )
    return draft


def signup_draft_update(*, chat_id: int, expected_step: str, **changes: str) -> SignupDraft | None:
    """Record an answer if the draft is still at ``expected_step`` (else None: an old button
    or a message that crossed another one)."""
    unknown = set(changes) - set(DRAFT_FIELDS)
    if unknown:
        raise ValueError(f"not draft fields: {sorted(unknown)}")
    draft = SignupDraft.objects.filter(chat_id=chat_id, step=expected_step).first()
    if draft is None:
        return None
    for name, value in changes.items():
        setattr(draft, name, value)
    draft.save()
    return draft


def signup_draft_discard(*, chat_id: int) -> bool:
    deleted, _per_model = SignupDraft.objects.filter(chat_id=chat_id).delete()
    return deleted > 0

"""Telegram-side state: per-user bot settings, one-time link codes, sign-up drafts, and the
update ids already processed (so a re-delivered webhook update has one effect).

The chat id itself lives on ``VolunteerProfile.telegram_chat_id``: that is the link.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class TelegramAccount(models.Model):
    """Bot preferences of a user. Holds no personal data, so erasure can leave it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="telegram_account"
    )
    reminders_enabled = models.BooleanField(default=True)
    # Set when Telegram answers 403 (the volunteer blocked the bot); cleared when they write
    # again. While set, nothing is sent to them.
    unreachable_since = models.DateTimeField(null=True, blank=True)
    # A claim waiting for the volunteer's date of birth (the bot asked for it): the shift,
    # until when the answer is taken as the date.
    birth_date_for_shift = models.PositiveBigIntegerField(null=True, blank=True)
    birth_date_asked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"telegram settings of user {self.user_id}"


class LinkCode(models.Model):
    """A one-time code that attaches a Telegram chat to an existing account."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="telegram_link_codes"
    )
    code = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"link code of user {self.user_id}"


class SignupDraft(models.Model):
    """The answers of a sign-up conversation in progress, one per chat.

    Stored in the database rather than in the bot process, so the conversation survives a
    restart and works when webhook updates land on different web processes.
    """

    chat_id = models.BigIntegerField(unique=True)
    step = models.CharField(max_length=16)
    language = models.CharField(max_length=2, default="nl")
    telegram_first_name = models.CharField(max_length=100, blank=True)
    display_name = models.CharField(max_length=100, blank=True)
    mode_preference = models.CharField(max_length=8, blank=True)
    postcode = models.CharField(max_length=64, blank=True)
    invite_code = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"sign-up of chat {self.chat_id} at {self.step}"


class ProcessedUpdate(models.Model):
    """An update id already taken for processing. Shared by every web process."""

    update_id = models.BigIntegerField(primary_key=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return str(self.update_id)

"""Users (log in with e-mail) and their volunteer profile."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str | None, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower() if email else None, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    # Volunteers who sign up through the Telegram bot have no e-mail address (NULLs don't
    # collide under the unique constraint); they can add one later to use the app.
    email = models.EmailField(_("e-mail address"), unique=True, null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.email or f"user {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # ``set_password`` keeps the new password in ``_password`` until the save, whatever
        # calls it (the admin's password form, a service, a shell): so a change is caught here.
        password_changed = getattr(self, "_password", None) is not None and not self._state.adding
        super().save(*args, **kwargs)
        if password_changed:
            # Its tokens no longer match the new hash (backend/accounts/tokens.py); its open
            # websockets, in every process, check again and close (4401) after commit.
            from realtime.events import publish_password_changed_on_commit

            publish_password_changed_on_commit(user_id=self.pk, is_staff=self.is_staff)


class Language(models.TextChoices):
    DUTCH = "nl", "Nederlands"
    ENGLISH = "en", "English"
    FRENCH = "fr", "Français"


class ModePreference(models.TextChoices):
    ONLINE = "online", _("online")
    ON_SITE = "on_site", _("on site")
    BOTH = "both", _("both")


class Benefit(models.TextChoices):
    """A benefit the volunteer receives, as they say themself: only this flag (and the date
    a C45B declaration was handed in) is kept, never medical or other details."""

    NONE = "", _("none")
    UNEMPLOYMENT = "unemployment", _("unemployment benefit")
    INTEGRATION_INCOME = "integration_income", _("integration income (leefloon)")
    SICKNESS = "sickness", _("sickness or invalidity benefit")


class VolunteerProfile(models.Model):
    """Everything about a person as a volunteer. Every user has exactly one.

    The profile row is also the lock that serialises one volunteer's claims (see
    ``backend.shifts.services.claim_create``).
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(_("display name"), max_length=100)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.DUTCH)
    phone = models.CharField(max_length=32, blank=True)
    mode_preference = models.CharField(
        max_length=8, choices=ModePreference.choices, default=ModePreference.BOTH
    )
    postcode = models.CharField(_("postcode or region"), max_length=64, blank=True)
    # Asked when an organisation or a shift needs it (the age rules of eligibility).
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    # At 15, a volunteer may help once the first two years of secondary school are completed.
    school_attestation = models.BooleanField(default=False)
    benefit = models.CharField(max_length=20, choices=Benefit.choices, blank=True, default="")
    # Unemployment benefit: the day the C45B declaration was handed in (the RVA may object
    # within 12 working days).
    c45b_handed_in_on = models.DateField(null=True, blank=True)
    # Asked to stand in when another volunteer cannot come (an opt-out: on by default).
    stand_in_requests = models.BooleanField(_("asked to stand in"), default=True)
    # "Help now" alerts for shifts starting soon that are still short (an opt-in).
    help_now_alerts = models.BooleanField(_("help-now alerts"), default=False)
    # A weekly digest in the bot of new shifts that match the profile (an opt-in).
    weekly_digest = models.BooleanField(_("weekly digest"), default=False)
    consent_at = models.DateTimeField(null=True, blank=True)
    telegram_chat_id = models.BigIntegerField(unique=True, null=True, blank=True)
    # The secret in the URL of the person's iCalendar feeds; rotating it revokes old links.
    calendar_token = models.CharField(max_length=64, unique=True, null=True, blank=True)

    def __str__(self) -> str:
        return self.display_name


class OutgoingMail(models.Model):
    """An e-mail to send (a password-reset link, an address to confirm): durable, so the
    request that asks for it never waits on a mail server, and sent by the worker
    (``backend.accounts.mail``) with retries. Its body is forgotten once sent, since it
    may hold a link that works as a key."""

    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["next_attempt_at"],
                name="mail_due",
                condition=models.Q(sent_at__isnull=True, failed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"mail {self.pk}: {self.subject}"

"""Writes on users and volunteer profiles."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import Language, ModePreference, User, VolunteerProfile
from backend.core.errors import ValidationFailed, WrongPassword

PROFILE_FIELDS = (
    "display_name",
    "language",
    "phone",
    "mode_preference",
    "postcode",
    "birth_date",
    "school_attestation",
    # What the volunteer is sent besides their own shifts' news (opt-out, opt-in, opt-in).
    "stand_in_requests",
    "help_now_alerts",
    "weekly_digest",
)
SWITCHES = ("school_attestation", "stand_in_requests", "help_now_alerts", "weekly_digest")
# The oldest date of birth taken (a typo of the year otherwise passes as a 130-year-old).
OLDEST_AGE_YEARS = 120


def user_register(
    *,
    email: str,
    password: str,
    display_name: str,
    language: str = Language.DUTCH,
) -> User:
    """Create a volunteer account with its profile. Passwords go through Django's validators;
    the consent time is the moment of registering."""
    email = User.objects.normalize_email(email).strip().lower()
    if language not in Language.values:
        raise ValidationFailed(fields={"language": [_("Choose nl, en or fr.")]})
    if not display_name.strip():
        raise ValidationFailed(fields={"display_name": [_("This field may not be blank.")]})
    candidate = User(email=email)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ValidationFailed(fields={"password": list(exc.messages)}) from None
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password)
            VolunteerProfile.objects.create(
                user=user,
                display_name=display_name.strip(),
                language=language,
                consent_at=timezone.now(),
            )
    except IntegrityError:
        raise ValidationFailed(
            fields={"email": [_("An account with this e-mail address already exists.")]}
        ) from None
    return user


def profile_ensure(*, user: User) -> VolunteerProfile:
    """Users made outside registration (admin, createsuperuser) get a profile on first use."""
    profile, _created = VolunteerProfile.objects.get_or_create(
        user=user, defaults={"display_name": (user.email or "").split("@")[0] or "Volunteer"}
    )
    return profile


def profile_update(*, user: User, **changes: Any) -> VolunteerProfile:
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationFailed(
            fields={name: [_("This field cannot be changed.")] for name in unknown}
        )
    if "language" in changes and changes["language"] not in Language.values:
        raise ValidationFailed(fields={"language": [_("Choose nl, en or fr.")]})
    if "mode_preference" in changes and changes["mode_preference"] not in ModePreference.values:
        raise ValidationFailed(fields={"mode_preference": [_("Choose online, on_site or both.")]})
    if "display_name" in changes and not str(changes["display_name"]).strip():
        raise ValidationFailed(fields={"display_name": [_("This field may not be blank.")]})
    if "birth_date" in changes and (problem := birth_date_problem(changes["birth_date"])):
        raise ValidationFailed(fields={"birth_date": [problem]})
    for name in SWITCHES:
        if name in changes:
            changes[name] = bool(changes[name])
    profile = profile_ensure(user=user)
    for name, value in changes.items():
        setattr(profile, name, value)
    profile.save(update_fields=list(changes))
    return profile


def birth_date_problem(value: object) -> str | None:
    """Why ``value`` is not a date of birth we take (None: it is, or it is cleared)."""
    if value is None:
        return None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        return _("Give a date, e.g. 2001-03-31.")
    today = timezone.localdate()
    if value > today:
        return _("A date of birth cannot be in the future.")
    if value.year < today.year - OLDEST_AGE_YEARS:
        return _("Check the year of that date of birth.")
    return None


def calendar_token_get(*, user: User) -> str:
    """The secret of the person's iCalendar feed URLs, made on first use."""
    profile = profile_ensure(user=user)
    if profile.calendar_token is None:
        return calendar_token_rotate(user=user)
    return profile.calendar_token


def calendar_token_rotate(*, user: User) -> str:
    """A new secret for the feed URLs: links shared before stop working."""
    profile = profile_ensure(user=user)
    profile.calendar_token = secrets.token_urlsafe(32)
    profile.save(update_fields=["calendar_token"])
    return profile.calendar_token


def password_confirm(*, user: User, password: str) -> None:
    """The person is asked for their password again (before changing it, before erasing the
    account): ``WrongPassword`` unless it is theirs. An account without a password (made in
    the bot) has none to give."""
    if not password or not user.has_usable_password() or not user.check_password(password):
        raise WrongPassword()


def password_set(*, user: User, new: str) -> None:
    """Set a new password that Django's validators accept (``new_password`` names the field
    of their messages). Every token and socket from before ends (``backend/accounts/tokens.py``)."""
    try:
        validate_password(new, user=user)
    except ValidationError as exc:
        raise ValidationFailed(fields={"new_password": list(exc.messages)}) from None
    user.set_password(new)
    user.save(update_fields=["password"])


def password_change(*, user: User, current: str, new: str) -> None:
    """Change the password, given the current one."""
    password_confirm(user=user, password=current)
    password_set(user=user, new=new)

"""Writes on users and volunteer profiles."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import Language, ModePreference, User, VolunteerProfile
from backend.core.errors import ValidationFailed

PROFILE_FIELDS = ("display_name", "language", "phone", "mode_preference", "postcode")


def user_register(
    *,
    email: str,
    password: str,
    display_name: str,
    language: str = Language.DUTCH,
    consent: bool = True,
) -> User:
    """Create a volunteer account with its profile. Passwords go through Django's validators."""
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
                consent_at=timezone.now() if consent else None,
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
    profile = profile_ensure(user=user)
    for name, value in changes.items():
        setattr(profile, name, value)
    profile.save(update_fields=list(changes))
    return profile


@dataclass(frozen=True)
class TelegramSignup:
    user: User
    # The organisation joined with the invite code, or None (no code, or it did not work).
    organisation_name: str | None
    invite_rejected: bool


def volunteer_create_from_telegram(
    *,
    chat_id: int,
    display_name: str,
    language: str,
    mode_preference: str,
    postcode: str = "",
    phone: str = "",
    invite_code: str = "",
) -> TelegramSignup:
    """Create a volunteer who signed up in the Telegram bot (no e-mail, no password).

    An invite code that no longer works does not undo the sign-up: the account is made and
    ``invite_rejected`` tells the bot to say so.
    """
    from backend.core.errors import InvalidInviteCode
    from backend.organisations.services import organisation_join

    if language not in Language.values:
        raise ValidationFailed(fields={"language": [_("Choose nl, en or fr.")]})
    if mode_preference not in ModePreference.values:
        raise ValidationFailed(fields={"mode_preference": [_("Choose online, on_site or both.")]})
    if not display_name.strip():
        raise ValidationFailed(fields={"display_name": [_("This field may not be blank.")]})
    with transaction.atomic():
        if VolunteerProfile.objects.filter(telegram_chat_id=chat_id).exists():
            raise ValidationFailed(
                fields={"telegram_chat_id": [_("This Telegram chat already has an account.")]}
            )
        user = User.objects.create_user(email=None, password=None)
        VolunteerProfile.objects.create(
            user=user,
            display_name=display_name.strip()[:100],
            language=language,
            mode_preference=mode_preference,
            postcode=postcode.strip()[:64],
            phone=phone.strip()[:32],
            consent_at=timezone.now(),
            telegram_chat_id=chat_id,
        )
        organisation_name: str | None = None
        invite_rejected = False
        if invite_code:
            try:
                # A savepoint: a rejected code rolls back only the join, not the account.
                with transaction.atomic():
                    membership = organisation_join(user=user, code=invite_code)
                organisation_name = membership.organisation.name
            except InvalidInviteCode:
                invite_rejected = True
    return TelegramSignup(user, organisation_name, invite_rejected)


ERASED_DISPLAY_NAME = "—"


@transaction.atomic
def user_erase(*, user: User) -> None:
    """Erase a person's personal data (GDPR art. 17), keeping the organisations' figures right.

    The user row stays, anonymised and unable to log in, so past claims (hours, counts, no-
    shows) still count; future claims are cancelled through ``claim_cancel`` so waitlists
    promote as usual; memberships end (kept as ``PastMembership`` for the figures of earlier
    years); the Telegram chat is unlinked and the calendar feed link stops working;
    qualifications held, Telegram link codes and an unfinished sign-up are deleted.
    """
    # Imported here: backend.shifts.services imports this module.
    from backend.organisations.models import Membership, PastMembership, VolunteerQualification
    from backend.shifts.models import ACTIVE_CLAIM_STATUSES, Claim
    from backend.shifts.services import claim_cancel
    from backend.telegram.models import LinkCode, SignupDraft

    now = timezone.now()
    future = Claim.objects.filter(
        volunteer=user, status__in=ACTIVE_CLAIM_STATUSES, shift__starts_at__gt=now
    ).values_list("pk", flat=True)
    for claim_id in list(future):
        claim_cancel(actor=user, claim_id=claim_id)
    memberships = list(Membership.objects.filter(user=user))
    PastMembership.objects.bulk_create(
        PastMembership(
            user=user,
            organisation_id=membership.organisation_id,
            role=membership.role,
            joined_at=membership.joined_at,
            ended_at=max(now, membership.joined_at),
        )
        for membership in memberships
    )
    Membership.objects.filter(pk__in=[m.pk for m in memberships]).delete()
    VolunteerQualification.objects.filter(user=user).delete()
    LinkCode.objects.filter(user=user).delete()
    chat_id = (
        VolunteerProfile.objects.filter(user=user)
        .values_list("telegram_chat_id", flat=True)
        .first()
    )
    if chat_id is not None:
        SignupDraft.objects.filter(chat_id=chat_id).delete()
    user.email = None
    user.set_unusable_password()
    user.is_active = False
    user.last_login = None
    user.save(update_fields=["email", "password", "is_active", "last_login"])
    VolunteerProfile.objects.filter(user=user).update(
        display_name=ERASED_DISPLAY_NAME,
        phone="",
        postcode="",
        consent_at=None,
        telegram_chat_id=None,
        calendar_token=None,
    )


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

"""Links sent by e-mail: a password reset, and confirming a new e-mail address.

Both are services every interface calls (the API for apps, the board's pages for the links
themselves). The mails are queued (``backend.accounts.mail``) in the person's language and
sent by the worker.

- A password reset is asked with an e-mail address. Whether an account has it is never told
  (the answer is the same either way). The link carries Django's token, which stops working
  when the password changes (so it works once), when the address changes, and after
  ``PASSWORD_RESET_TIMEOUT``. Setting the new password ends every session and socket of the
  account (``User.save``).
- A new e-mail address, asked with the password, is only taken once the person follows the
  link sent *to the new address* (a signed value with the old and the new address, valid for
  ``EMAIL_CHANGE_TIMEOUT``); the old address is told that it was changed.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backend.accounts.mail import mail_queue
from backend.accounts.models import User
from backend.accounts.services import password_confirm, password_set
from backend.core.errors import EmailTaken, InvalidLink, ValidationFailed

EMAIL_CHANGE_SALT = "inzet.email-change"


def _language(user: User) -> str:
    profile = getattr(user, "profile", None)
    return getattr(profile, "language", None) or settings.LANGUAGE_CODE


def _name(user: User) -> str:
    profile = getattr(user, "profile", None)
    return getattr(profile, "display_name", "") or ""


def normalised_email(email: str) -> str:
    return User.objects.normalize_email(email).strip().lower()


# --- Password reset -------------------------------------------------------------------------


def reset_link_path(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/accounts/reset/{uid}/{default_token_generator.make_token(user)}/"


def password_reset_request(*, email: str, site: str) -> None:
    """Mail a reset link to ``email`` if an active account with a password has it; nothing
    otherwise, and nothing tells the two apart. ``site``: where the link points
    (``https://host``)."""
    user = (
        User.objects.select_related("profile")
        .filter(email=normalised_email(email), is_active=True)
        .first()
    )
    if user is None or not user.has_usable_password() or not user.email:
        return
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    with translation.override(_language(user)):
        subject = _("Choose a new password for Inzet")
        body = ngettext(
            "Hello %(name)s,\n\n"
            "Someone, hopefully you, asked to reset the password of your Inzet account. "
            "Choose a new one through this link within %(hours)d hour:\n\n%(link)s\n\n"
            "The link works once. Did you not ask for this? Then ignore this e-mail: your "
            "password stays as it is.\n",
            "Hello %(name)s,\n\n"
            "Someone, hopefully you, asked to reset the password of your Inzet account. "
            "Choose a new one through this link within %(hours)d hours:\n\n%(link)s\n\n"
            "The link works once. Did you not ask for this? Then ignore this e-mail: your "
            "password stays as it is.\n",
            hours,
        ) % {"name": _name(user), "hours": hours, "link": site + reset_link_path(user)}
    mail_queue(to=user.email, subject=subject, body=body)


def reset_link_user(*, uid: str, token: str) -> User:
    """The account a reset link is for, or ``InvalidLink``."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        raise InvalidLink() from None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        raise InvalidLink()
    return user


def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set the new password through a reset link: every session from before ends."""
    user = reset_link_user(uid=uid, token=token)
    password_set(user=user, new=new_password)
    return user


# --- A new e-mail address -------------------------------------------------------------------


def email_change_request(*, user: User, new_email: str, password: str, site: str) -> None:
    """Mail a confirmation link to ``new_email``; the address changes when it is followed."""
    password_confirm(user=user, password=password)
    new_email = normalised_email(new_email)
    try:
        validate_email(new_email)
    except ValidationError:
        raise ValidationFailed(fields={"email": [_("Enter a valid e-mail address.")]}) from None
    if new_email == (user.email or ""):
        raise ValidationFailed(fields={"email": [_("This is your address already.")]})
    if User.objects.filter(email=new_email).exclude(pk=user.pk).exists():
        raise EmailTaken()
    value = signing.dumps(
        {"user": user.pk, "old": user.email or "", "new": new_email}, salt=EMAIL_CHANGE_SALT
    )
    days = settings.EMAIL_CHANGE_TIMEOUT // 86400
    with translation.override(_language(user)):
        subject = _("Confirm your new e-mail address for Inzet")
        body = ngettext(
            "Hello %(name)s,\n\n"
            "To use this address for your Inzet account from now on, confirm it through "
            "this link within %(days)d day:\n\n%(link)s\n\n"
            "Did you not ask for this? Then ignore this e-mail: nothing changes.\n",
            "Hello %(name)s,\n\n"
            "To use this address for your Inzet account from now on, confirm it through "
            "this link within %(days)d days:\n\n%(link)s\n\n"
            "Did you not ask for this? Then ignore this e-mail: nothing changes.\n",
            days,
        ) % {"name": _name(user), "days": days, "link": f"{site}/accounts/email/{value}/"}
    mail_queue(to=new_email, subject=subject, body=body)


def email_change_confirm(*, value: str) -> User:
    """Take the new address of a confirmation link; the old address is told."""
    try:
        data = signing.loads(value, salt=EMAIL_CHANGE_SALT, max_age=settings.EMAIL_CHANGE_TIMEOUT)
    except signing.BadSignature:
        raise InvalidLink() from None
    with transaction.atomic():
        user = (
            User.objects.select_for_update(of=("self",))
            .select_related("profile")
            .filter(pk=data["user"], is_active=True)
            .first()
        )
        # Used already, or the address changed another way since: the link is spent.
        if user is None or (user.email or "") != data["old"]:
            raise InvalidLink()
        user.email = data["new"]
        try:
            with transaction.atomic():
                user.save(update_fields=["email"])
        except IntegrityError:
            raise EmailTaken() from None
        if data["old"]:
            with translation.override(_language(user)):
                subject = _("Your Inzet e-mail address was changed")
                body = _(
                    "Hello %(name)s,\n\n"
                    "Your Inzet account now uses %(new)s instead of this address. Was this "
                    "not you? Then contact your organisation's coordinator.\n"
                ) % {"name": _name(user), "new": data["new"]}
            mail_queue(to=data["old"], subject=subject, body=body)
    return user

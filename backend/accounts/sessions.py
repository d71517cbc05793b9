"""An app's session: a refresh token that is used once.

Each refresh answers a new refresh token and revokes the one it was given (simplejwt's
outstanding and blacklisted tokens); log-out revokes the one given. Revoking is the claim on
the token: the blacklist row is unique per token, so of two refreshes with the same token at
once (an app's retry, or a thief racing the app) exactly one gets new tokens, and the other
is refused as a used token. A password change ends every token anyway (``tokens.py``).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch


class TokenUsed(TokenError):
    """The refresh token was used already (refreshed or logged out)."""


def _revoke(token: RefreshToken) -> bool:
    """Revoke ``token``; False if it was revoked already (by someone else, just now)."""
    jti = token[api_settings.JTI_CLAIM]
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=jti,
        defaults={
            "user_id": token.get(api_settings.USER_ID_CLAIM),
            "token": str(token),
            "created_at": token.current_time,
            "expires_at": datetime_from_epoch(token["exp"]),
        },
    )
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError:
        return False
    return True


def session_refresh(token: RefreshToken) -> RefreshToken:
    """The refresh token that replaces ``token`` (checked by the caller: signature, expiry,
    not revoked, the account's password); ``TokenUsed`` if a parallel request used it."""
    if not _revoke(token):
        raise TokenUsed(str(_("This refresh token was used already. Log in again.")))
    token.set_jti()
    token.set_exp()
    token.set_iat()
    token.outstand()
    return token


def session_end(token: RefreshToken) -> None:
    """Log out: revoke ``token`` (already revoked is fine: log-out is idempotent)."""
    _revoke(token)


def expired_tokens_forget(*, now: dt.datetime) -> int:
    """Forget the outstanding (and revoked) refresh tokens that have expired: they can no
    longer be used anyway. The worker calls it now and then; how many were forgotten."""
    deleted, _ = OutstandingToken.objects.filter(expires_at__lte=now).delete()
    return deleted

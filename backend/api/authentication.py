"""The API's JWT authentication: simplejwt's, saying in the user's language that a token
issued before a password change has ended (the rule: backend/accounts/tokens.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.tokens import Token

from backend.accounts.models import User

PASSWORD_CHANGED = _("The password of this account was changed. Please log in again.")


def password_changed() -> AuthenticationFailed:
    """401 ``token_not_valid``, like any other token that has ended."""
    return AuthenticationFailed(str(PASSWORD_CHANGED), code="password_changed")


class JWTAuthentication(authentication.JWTAuthentication):
    # simplejwt annotates it with a type variable bound to nothing it takes.
    def get_user(self, validated_token: Token) -> User:  # type: ignore[override]
        try:
            user = super().get_user(validated_token)
        except AuthenticationFailed as error:
            # simplejwt's own sentence for it is not translated into Dutch or French.
            if not isinstance(error.detail, dict) or error.detail["code"] != "password_changed":
                raise
            raise password_changed() from None
        assert isinstance(user, User)
        return user


class JWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of simplejwt's class, for this subclass too."""

    target_class = "backend.api.authentication.JWTAuthentication"

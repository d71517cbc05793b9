"""The API's JWT authentication: simplejwt's, saying in the user's language that a token
issued before a password change has ended (the rule: backend/accounts/tokens.py), and
answering in the language of the user's profile unless the request names one itself
(``Accept-Language``)."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.request import Request
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.tokens import Token

from backend.accounts.models import User

PASSWORD_CHANGED = _("The password of this account was changed. Please log in again.")


def password_changed() -> AuthenticationFailed:
    """401 ``token_not_valid``, like any other token that has ended."""
    return AuthenticationFailed(str(PASSWORD_CHANGED), code="password_changed")


class _UsersWithProfile:
    """What simplejwt looks users up in (``user_model.objects.get``): with the profile in the
    same query, for its language."""

    DoesNotExist = User.DoesNotExist
    objects = User.objects.select_related("profile")


def follow_profile_language(request: Request, user: Any) -> None:
    """Answer in the profile's language unless the request asked for one."""
    if request.META.get("HTTP_ACCEPT_LANGUAGE"):
        return
    profile = getattr(user, "profile", None)
    language = getattr(profile, "language", None)
    if language:
        translation.activate(language)
        request._request.LANGUAGE_CODE = language


class JWTAuthentication(authentication.JWTAuthentication):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user_model = _UsersWithProfile  # type: ignore[assignment]

    def authenticate(self, request: Request) -> tuple[Any, Token] | None:
        result = super().authenticate(request)
        if result is not None:
            follow_profile_language(request, result[0])
        return result

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

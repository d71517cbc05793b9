"""The API's throttles: DRF's hook onto ``backend.core.rate_limits`` (one sliding-window rule
for the API, the board and the bot; counted in Redis when REDIS_URL is set, in this process
while Redis cannot be reached). A refusal raises ``TooManyRequests``: 429 ``throttled`` with
``Retry-After`` and the wait in the detail, in the asker's language.

Wrong passwords are not a throttle: they are counted after the fact
(``backend.accounts.guesses``), by :class:`PasswordGuessThrottle` and the views that check
a password.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import UntypedToken

from backend.accounts.guesses import account_key, guess_allowed, guess_failed
from backend.core.rate_limits import limit_require


def client_address(request: Request) -> str:
    """The client's address as DRF reads it (``X-Forwarded-For`` behind ``NUM_PROXIES``)."""
    return BaseThrottle().get_ident(request)


class ScopeThrottle(BaseThrottle):
    """Counts each request in ``scope``, per :meth:`ident`."""

    scope = ""

    def ident(self, request: Request, view: APIView) -> str:
        return client_address(request)

    def allow_request(self, request: Request, view: APIView) -> bool:
        limit_require(self.scope, self.ident(request, view))
        return True


class ClaimThrottle(ScopeThrottle):
    """Claims and cancellations per user."""

    scope = "claims"

    def ident(self, request: Request, view: APIView) -> str:
        return str(request.user.pk)


class SignupThrottle(ScopeThrottle):
    scope = "signup_address"


class RefreshThrottle(ScopeThrottle):
    """Refreshes (and log-outs) per user whose token it is; a token that does not verify is
    counted per client address. Never counted against log-in."""

    scope = "refresh"

    def ident(self, request: Request, view: APIView) -> str:
        raw = _field(request, view, "refresh")
        if isinstance(raw, str):
            try:
                token = UntypedToken(raw)  # type: ignore[arg-type]  # the stubs say Token
                return f"user:{token.payload[api_settings.USER_ID_CLAIM]}"
            except (TokenError, KeyError):
                pass
        return f"address:{client_address(request)}"


class PasswordResetThrottle(BaseThrottle):
    """Reset e-mails asked, per client address and per e-mail address (each sends a mail)."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        limit_require("password_reset_address", client_address(request))
        limit_require("password_reset_account", account_key(_email_of(request, view)))
        return True


class EmailChangeThrottle(ScopeThrottle):
    """New e-mail addresses asked per user (each sends a mail)."""

    scope = "email_change"

    def ident(self, request: Request, view: APIView) -> str:
        return str(request.user.pk)


def _field(request: Request, view: APIView, name: str) -> Any:
    """A field of the body, read only for a method the view handles: DRF throttles before it
    refuses a method (405), and a body it will not read must not be parsed for a 400."""
    if not hasattr(view, (request.method or "").lower()):
        return None
    return request.data.get(name) if isinstance(request.data, dict) else None


def _email_of(request: Request, view: APIView) -> str:
    if request.user is not None and request.user.is_authenticated:
        return str(request.user.email)
    email = _field(request, view, "email")
    return email if isinstance(email, str) else ""


class PasswordGuessThrottle(BaseThrottle):
    """Refuses before a password is checked once this address or this account has failed too
    often; the view counts the failure (``guess_failed``)."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        guess_allowed(email=_email_of(request, view), address=client_address(request))
        return True


def password_guess_failed(request: Request, view: APIView) -> None:
    """Count a wrong password given in this request."""
    guess_failed(email=_email_of(request, view), address=client_address(request))

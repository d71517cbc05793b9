"""Who is on the other end of a websocket: a JWT access token or the Django session.

Mobile apps send the access token either as ``?token=<jwt>`` or, to keep it out of access
logs, as a subprotocol: ``new WebSocket(url, ["inzet.v1", "bearer.<jwt>"])``; the server then
accepts with ``inzet.v1``. The board page uses the session cookie.

Origins: a browser attaches the session cookie to a websocket opened from any site, so a
cookie-authenticated socket must come from one of our hosts (``AllowedHostsOriginValidator``'s
rule). Native apps usually send no ``Origin`` at all; such a connection is let through with its
cookies removed, so it can only authenticate with a token, which another site cannot send on
the user's behalf.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from backend.accounts.models import User
from backend.accounts.tokens import token_matches_password

Scope = dict[str, Any]
ASGIApp = Any

SUBPROTOCOL = "inzet.v1"
BEARER_PREFIX = "bearer."


def token_from_scope(scope: Scope) -> str | None:
    for subprotocol in scope.get("subprotocols") or []:
        if subprotocol.startswith(BEARER_PREFIX):
            return str(subprotocol[len(BEARER_PREFIX) :])
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    tokens = query.get("token")
    return tokens[0] if tokens else None


@database_sync_to_async
def _user_for_token(raw: str) -> User | None:
    try:
        token = AccessToken(raw)  # type: ignore[arg-type]
    except TokenError:
        return None
    user = User.objects.filter(pk=token.get("user_id"), is_active=True).first()
    # A token issued before the password last changed has ended, as in the API.
    return user if user is not None and token_matches_password(token, user) else None


class JWTAuthMiddleware:
    """Sets ``scope["user"]`` from a token when one is given (it wins over the session).

    An invalid or expired token leaves an anonymous user and ``scope["auth_error"]``, so the
    consumer can close with 4401 and the app knows to refresh its token.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        raw = token_from_scope(scope)
        if raw is not None:
            scope = dict(scope)
            user = await _user_for_token(raw)
            scope["user"] = user or AnonymousUser()
            scope["auth_method"] = "token"
            if user is None:
                scope["auth_error"] = "invalid_token"
        return await self.app(scope, receive, send)


class NoOriginMeansNoCookies:
    """Without an Origin header, drop the cookies (token auth only); else check the origin."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        headers = scope.get("headers", [])
        if any(name == b"origin" for name, _ in headers):
            # Built per connection so it reads ALLOWED_HOSTS as it is now (tests change it).
            return await AllowedHostsOriginValidator(self.app)(scope, receive, send)
        scope = dict(scope, headers=[(n, v) for n, v in headers if n != b"cookie"])
        return await self.app(scope, receive, send)


def websocket_auth_stack(app: ASGIApp) -> ASGIApp:
    """Origin check, then the session, then a token if one was sent."""
    return NoOriginMeansNoCookies(AuthMiddlewareStack(JWTAuthMiddleware(app)))

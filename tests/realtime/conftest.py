"""Helpers for websocket tests: connecting through the real ASGI stack (origin, session, JWT)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from backend.accounts.models import User
from backend.config.asgi import application
from realtime.events import flush_events

ORIGIN = (b"origin", b"http://testserver")


def board_path(organisation_id: int, query: str = "") -> str:
    return f"/ws/v1/organisations/{organisation_id}/board/" + (f"?{query}" if query else "")


def access_token(user: User) -> str:
    return str(AccessToken.for_user(user))


@database_sync_to_async
def session_cookie(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def communicator(
    path: str,
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    subprotocols: list[str] | None = None,
) -> WebsocketCommunicator:
    # Events of what the test did before are published from a thread of their own (Redis
    # layer): let them go out first, so the socket only hears what happens after it connects.
    flush_events()
    return WebsocketCommunicator(
        application,
        path,
        headers=[ORIGIN] if headers is None else headers,
        subprotocols=subprotocols,
    )


@asynccontextmanager
async def connected(path: str, user: User, **kwargs: Any) -> AsyncIterator[WebsocketCommunicator]:
    """A socket authenticated with the user's session cookie; always disconnected after."""
    cookie = await session_cookie(user)
    ws = communicator(path, headers=[ORIGIN, (b"cookie", cookie)], **kwargs)
    accepted, _ = await ws.connect()
    assert accepted
    try:
        yield ws
    finally:
        await ws.disconnect()


async def receive_until(
    ws: WebsocketCommunicator, predicate: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = await ws.receive_json_from(timeout=2)
        if predicate(message):
            return message

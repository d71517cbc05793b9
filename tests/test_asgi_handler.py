"""The ASGI application's HTTP side (backend/config/handler.py): the middleware chain runs in
one thread hop, and still does everything it does under Django's own handler."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.testing import HttpCommunicator

from backend.accounts.models import User
from backend.config.asgi import application
from tests.realtime.conftest import access_token

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def request(
    method: str, path: str, *, headers: list[tuple[bytes, bytes]] | None = None, body: bytes = b""
) -> dict[str, Any]:
    headers = [(b"host", b"testserver"), *(headers or [])]
    communicator = HttpCommunicator(application, method, path, body=body, headers=headers)
    return await communicator.get_response(timeout=10)


def header(response: dict[str, Any], name: bytes) -> str | None:
    for key, value in response["headers"]:
        if key.lower() == name:
            return value.decode()
    return None


async def test_middleware_still_applies_through_the_asgi_application() -> None:
    response = await request("GET", "/api/v1/me/", headers=[(b"accept-language", b"fr")])

    assert response["status"] == 401
    body = json.loads(response["body"])
    assert body["code"] == "not_authenticated"
    assert "authentification" in body["detail"].lower()  # LocaleMiddleware chose French
    assert header(response, b"content-language") == "fr"
    assert header(response, b"x-frame-options") == "DENY"  # XFrameOptionsMiddleware
    assert header(response, b"x-content-type-options") == "nosniff"  # SecurityMiddleware


async def test_an_authenticated_request_reaches_a_sync_view(volunteer: User) -> None:
    bearer = f"Bearer {access_token(volunteer)}".encode()
    response = await request("GET", "/api/v1/me/", headers=[(b"authorization", bearer)])

    assert response["status"] == 200
    assert json.loads(response["body"])["email"] == volunteer.email


async def test_an_async_view_still_runs() -> None:
    # The Telegram webhook is an async view: without the secret it is refused.
    response = await request("POST", "/telegram/webhook/", body=b"{}")

    assert response["status"] == 403

"""A password change ends every session and socket of the account, however it is made: the
board page asks to log in again, and the account's open websockets (its own stream, its
boards, by token or by session) close with 4401, in every process. Other people's sockets
stay open."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from backend.accounts.models import User
from backend.organisations.models import Organisation, Role
from tests.factories import MembershipFactory, UserFactory
from tests.realtime.conftest import ORIGIN, access_token, board_path, communicator, session_cookie
from tests.realtime.live import ROOT, private_redis, process_env, running_daphne

db = database_sync_to_async
ME = "/ws/v1/me/"
NEW_PASSWORD = "nieuwe-zonnebloem-2025"

CHANGE_PASSWORD = """
from backend.accounts.models import User
user = User.objects.get(pk={user_id})
user.set_password({password!r})
user.save()
"""


def change_password_in_the_admin(staff: User, user: User) -> int:
    """Staff set ``user``'s password through the Django admin's password form."""
    client = Client()
    client.force_login(staff)
    response = client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    return response.status_code


async def _closed_with(ws) -> int:  # type: ignore[no-untyped-def]
    while True:
        output = await ws.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            return int(output["code"])


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_password_set_in_the_admin_closes_the_accounts_sockets_and_its_board_session(
    organisation: Organisation, coordinator: User
) -> None:
    staff = await db(UserFactory)(is_staff=True, is_superuser=True)
    colleague = (await db(MembershipFactory)(organisation=organisation, role=Role.COORDINATOR)).user
    page = Client()
    await db(page.force_login)(coordinator)
    board_page = f"/board/{organisation.slug}/"
    assert (await db(page.get)(board_page)).status_code == 200

    own_board = communicator(
        board_path(organisation.pk),
        headers=[ORIGIN, (b"cookie", await session_cookie(coordinator))],
    )
    own_stream = communicator(ME, subprotocols=["inzet.v1", f"bearer.{access_token(coordinator)}"])
    other_board = communicator(
        board_path(organisation.pk), headers=[ORIGIN, (b"cookie", await session_cookie(colleague))]
    )
    sockets = (own_board, own_stream, other_board)
    try:
        for ws in sockets:
            assert (await ws.connect())[0]
            assert (await ws.receive_json_from())["type"] in ("snapshot", "ready")

        assert await db(change_password_in_the_admin)(staff, coordinator) == 302

        assert await _closed_with(own_board) == 4401
        assert await _closed_with(own_stream) == 4401
        await other_board.send_json_to({"type": "ping"})
        assert (await other_board.receive_json_from())["type"] == "pong"
    finally:
        for ws in sockets:
            await ws.disconnect()

    # Django's own session of the board page ended too: it asks to log in again.
    response = await db(page.get)(board_page)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_staff_watching_a_board_without_a_membership_lose_it_with_their_password(
    organisation: Organisation,
) -> None:
    staff = await db(UserFactory)(is_staff=True)
    ws = communicator(
        board_path(organisation.pk), headers=[ORIGIN, (b"cookie", await session_cookie(staff))]
    )
    assert (await ws.connect())[0]
    try:
        assert (await ws.receive_json_from())["type"] == "snapshot"

        def change() -> None:
            staff.set_password(NEW_PASSWORD)
            staff.save()

        await db(change)()
        assert await _closed_with(ws) == 4401
    finally:
        await ws.disconnect()


async def _recv_json(ws: ClientConnection) -> dict[str, object]:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), timeout=5)))


async def _close_code(ws: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), timeout=5)
    return ws.close_code


async def _change_password_in_another_process(user: User, redis_url: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "manage.py",
        "shell",
        "-c",
        CHANGE_PASSWORD.format(user_id=user.pk, password=NEW_PASSWORD),
        cwd=ROOT,
        env=process_env(redis_url),
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
async def test_a_password_changed_in_another_process_closes_the_sockets_on_daphne(
    organisation: Organisation, coordinator: User
) -> None:
    colleague = (await db(MembershipFactory)(organisation=organisation, role=Role.COORDINATOR)).user
    old_token = access_token(coordinator)
    cookie = (await session_cookie(coordinator)).decode()
    with private_redis() as redis_server, running_daphne(redis_server.url) as port:
        base = f"ws://127.0.0.1:{port}"
        board = base + board_path(organisation.pk)
        bearer = ["inzet.v1", f"bearer.{old_token}"]
        browser = {"Origin": f"http://127.0.0.1:{port}", "Cookie": cookie}
        async with (
            connect(base + ME, subprotocols=bearer) as own_stream,  # type: ignore[arg-type]
            connect(board, subprotocols=bearer) as own_board,  # type: ignore[arg-type]
            connect(board, additional_headers=browser) as own_board_page,
            connect(
                board,
                subprotocols=["inzet.v1", f"bearer.{access_token(colleague)}"],  # type: ignore[list-item]
            ) as other_board,
        ):
            assert (await _recv_json(own_stream))["type"] == "ready"
            for ws in (own_board, own_board_page, other_board):
                assert (await _recv_json(ws))["type"] == "snapshot"

            # Not Daphne's process: the news travels through Redis.
            await _change_password_in_another_process(coordinator, redis_server.url)

            closes = await asyncio.gather(
                *(_close_code(ws) for ws in (own_stream, own_board, own_board_page))
            )
            await other_board.send(json.dumps({"type": "ping"}))
            other_answer = await _recv_json(other_board)
        # The old token no longer opens a socket; one issued after the change does.
        async with connect(board, subprotocols=bearer) as again:  # type: ignore[arg-type]
            refused = await _close_code(again)
        await db(coordinator.refresh_from_db)()
        fresh = ["inzet.v1", f"bearer.{access_token(coordinator)}"]
        async with connect(board, subprotocols=fresh) as again:  # type: ignore[arg-type]
            fresh_answer = await _recv_json(again)
    assert closes == [4401, 4401, 4401]
    assert other_answer == {"type": "pong"}
    assert refused == 4401
    assert fresh_answer["type"] == "snapshot"

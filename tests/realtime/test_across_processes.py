"""End to end over TCP: Daphne, Redis, and claims made in other OS processes."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from channels.db import database_sync_to_async
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from backend.shifts.models import Shift
from tests.factories import ShiftFactory
from tests.realtime.conftest import access_token
from tests.realtime.live import (
    BoardClient,
    claim_in_another_process,
    private_redis,
    running_daphne,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True), pytest.mark.slow]

db = database_sync_to_async


def board_url(port: int, organisation_id: int) -> str:
    return f"ws://127.0.0.1:{port}/ws/v1/organisations/{organisation_id}/board/"


async def test_claim_in_another_process_reaches_a_board_on_daphne(
    organisation, coordinator, volunteer
):
    shift = await db(ShiftFactory)(organisation=organisation, capacity=3)
    with private_redis() as redis_server, running_daphne(redis_server.url) as port:
        async with connect(
            board_url(port, organisation.pk),
            subprotocols=["inzet.v1", f"bearer.{access_token(coordinator)}"],  # type: ignore[list-item]
        ) as ws:
            assert ws.subprotocol == "inzet.v1"
            snapshot = json.loads(await ws.recv())
            assert snapshot["shifts"][0]["confirmed_count"] == 0
            await claim_in_another_process(
                volunteer_id=volunteer.pk, shift_id=shift.pk, redis_url=redis_server.url
            )
            event = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
        # Daphne itself refuses close codes outside 1000 and 3000-4999: check ours get through.
        async with connect(
            board_url(port, organisation.pk),
            subprotocols=["inzet.v1", f"bearer.{access_token(coordinator)}"],  # type: ignore[list-item]
        ) as ws:
            await ws.recv()
            await ws.send(json.dumps({"type": "ping", "pad": "x" * 70_000}))
            error = json.loads(await ws.recv())
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), timeout=5)
            too_large = ws.close_code
        async with connect(board_url(port, organisation.pk)) as ws:
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), timeout=5)
            anonymous = ws.close_code
    assert event["type"] == "event"
    assert event["event"] == "claim.confirmed"
    assert event["seq"] == snapshot["seq"] + 1
    assert event["shift"]["confirmed_count"] == 1
    assert [v["name"] for v in event["shift"]["volunteers"]] == [volunteer.profile.display_name]
    assert (error["code"], too_large) == ("too_large", 4413)
    assert anonymous == 4401


async def test_boards_converge_after_redis_restarts(organisation, coordinator, make_volunteer):
    shift = await db(ShiftFactory)(organisation=organisation, capacity=10)
    people = [await db(make_volunteer)() for _ in range(3)]
    with private_redis() as redis_server, running_daphne(redis_server.url) as port:
        boards = [BoardClient(board_url(port, organisation.pk), access_token(coordinator))]
        boards += [BoardClient(board_url(port, organisation.pk), access_token(coordinator))]
        boards += [BoardClient(board_url(port, organisation.pk), access_token(coordinator))]
        for board in boards:
            board.start()
        try:
            await asyncio.wait_for(asyncio.gather(*(b.connected.wait() for b in boards)), 10)
            await claim_in_another_process(
                volunteer_id=people[0].pk, shift_id=shift.pk, redis_url=redis_server.url
            )
            await _until(lambda: all(b.counts(shift.pk) == (1, 0) for b in boards), 5)

            redis_server.stop()
            # While Redis is down: claims still commit (the events are lost), and the server
            # still answers HTTP.
            await claim_in_another_process(
                volunteer_id=people[1].pk, shift_id=shift.pk, redis_url=redis_server.url
            )
            async with httpx.AsyncClient() as http:
                response = await http.get(f"http://127.0.0.1:{port}/accounts/login/")
            assert response.status_code == 200

            redis_server.start()
            await claim_in_another_process(
                volunteer_id=people[2].pk, shift_id=shift.pk, redis_url=redis_server.url
            )
            # Counted from the claim's commit, not from Redis's return: the other process's
            # start-up (a Django import, seconds on a slow machine) is not the boards' doing.
            committed_at = time.monotonic()
            truth = await db(lambda: Shift.objects.get(pk=shift.pk).confirmed_count)()
            assert truth == 3
            await _until(lambda: all(b.counts(shift.pk) == (3, 0) for b in boards), 5)
            assert time.monotonic() - committed_at < 5
            assert all(b.snapshots >= 2 for b in boards)  # they reconnected and resynced
        finally:
            for board in boards:
                await board.stop()


async def _until(condition, seconds: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "boards did not converge in time"
        await asyncio.sleep(0.05)

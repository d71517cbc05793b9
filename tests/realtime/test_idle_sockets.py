"""Sockets on the real Redis channel layer stay open while nothing happens (issue 15).

channels_redis waits for messages with ``BZPOPMIN`` for up to 5 seconds at a time; a Redis
client whose read timeout is not longer than that took every quiet period for an outage and
closed ``ws/v1/me/`` with 4503 (and made the board hub reconnect) every 5 seconds.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from websockets.asyncio.client import connect

from tests.factories import ShiftFactory
from tests.realtime.conftest import access_token
from tests.realtime.live import (
    ARTIFACTS,
    claim_in_another_process,
    private_redis,
    running_daphne,
)

db = database_sync_to_async

IDLE_SECONDS = 30


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
async def test_board_and_me_sockets_stay_open_and_live_after_30_idle_seconds(
    organisation, coordinator, volunteer
):
    shift = await db(ShiftFactory)(organisation=organisation, capacity=3)
    with private_redis() as redis_server, running_daphne(redis_server.url) as port:
        base = f"ws://127.0.0.1:{port}/ws/v1"
        async with (
            connect(
                f"{base}/organisations/{organisation.pk}/board/",
                subprotocols=["inzet.v1", f"bearer.{access_token(coordinator)}"],  # type: ignore[list-item]
            ) as board,
            connect(
                f"{base}/me/",
                subprotocols=["inzet.v1", f"bearer.{access_token(volunteer)}"],  # type: ignore[list-item]
            ) as me,
        ):
            snapshot = json.loads(await board.recv())
            ready = json.loads(await me.recv())
            # Nothing may arrive while idle: no close, no "live: false" status.
            for ws in (board, me):
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(ws.recv(), timeout=IDLE_SECONDS / 2)
            await claim_in_another_process(
                volunteer_id=volunteer.pk, shift_id=shift.pk, redis_url=redis_server.url
            )
            board_event = json.loads(await asyncio.wait_for(board.recv(), timeout=5))
            me_event = json.loads(await asyncio.wait_for(me.recv(), timeout=5))
            log = (ARTIFACTS / f"daphne-{port}.log").read_text()
    assert snapshot["type"] == "snapshot"
    assert ready["type"] == "ready"
    assert (board_event["event"], board_event["seq"]) == ("claim.confirmed", snapshot["seq"] + 1)
    assert board_event["shift"]["confirmed_count"] == 1
    assert (me_event["type"], me_event["event"]) == ("event", "claim.confirmed")
    assert "channel layer unavailable" not in log
    assert "cannot receive" not in log


def test_the_layers_read_timeout_outlasts_its_blocking_wait(settings):
    """A channels_redis upgrade that waits longer per BZPOPMIN must raise the timeout too."""
    from channels_redis.core import RedisChannelLayer

    assert RedisChannelLayer.brpop_timeout + 2 < settings.CHANNEL_LAYER_READ_TIMEOUT

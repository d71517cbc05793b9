"""A board message that needs the database while the database is out of reach (a failover,
a restart) gets an error frame with the API's code, ``database_unavailable``, and the socket
stays open: once the database answers again, the same socket resyncs."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.db import connection
from django.utils import translation

from backend.core.errors import DatabaseUnavailable
from tests.factories import ShiftFactory
from tests.realtime.conftest import board_path, connected
from tests.realtime.live import database_out_of_reach

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_a_resync_without_the_database_is_refused_and_the_socket_stays_usable(
    organisation, coordinator
):
    shift = await database_sync_to_async(ShiftFactory)(organisation=organisation)
    async with connected(board_path(organisation.pk), coordinator) as ws:
        assert (await ws.receive_json_from())["type"] == "snapshot"
        with database_out_of_reach():
            # Channels' test communicator skips close_old_connections, so the consumers'
            # thread keeps its connection: close it, as Daphne would after each call.
            await sync_to_async(lambda: connection.close())()
            await ws.send_json_to({"type": "resync"})
            error = await ws.receive_json_from()
            await ws.send_json_to({"type": "ping"})
            pong = await ws.receive_json_from()
        await ws.send_json_to({"type": "resync"})
        snapshot = await ws.receive_json_from()
    with translation.override("nl"):  # the server's language (the socket sends no other)
        detail = str(DatabaseUnavailable().detail)
    assert error == {"type": "error", "code": "database_unavailable", "detail": detail}
    assert pong == {"type": "pong"}
    assert snapshot["type"] == "snapshot"
    assert [row["id"] for row in snapshot["shifts"]] == [shift.pk]

"""Redis going away and coming back (issue 16), over Daphne and a private redis-server.

The database is the source of truth: while Redis is down claims and log-ins still work (the
rate limits count per process meanwhile), and once it is back a board converges on the
database without waiting for a later change, and is told it is live again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from websockets.asyncio.client import connect

from backend.accounts.models import User
from backend.shifts.models import Claim, Shift
from tests.factories import PASSWORD, ShiftFactory
from tests.realtime.conftest import access_token
from tests.realtime.live import (
    ARTIFACTS,
    ROOT,
    BoardClient,
    private_redis,
    process_env,
    running_daphne,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True), pytest.mark.slow]

db = database_sync_to_async

FALLBACK_WARNING = "rate limits are counted in this process"

# A process that stays up between claims, like a web process or the bot: it claims for each
# "volunteer_id shift_id" line it reads and waits for the event to be published.
CLAIMER = """
import sys
import django
django.setup()
from backend.accounts.models import User
from backend.shifts.services import claim_create
from realtime.events import flush_events
print("ready", flush=True)
for line in sys.stdin:
    volunteer_id, shift_id = (int(part) for part in line.split())
    claim_create(volunteer=User.objects.get(pk=volunteer_id), shift_id=shift_id)
    print("published" if flush_events() else "timed out", flush=True)
"""


def board_url(port: int, organisation_id: int) -> str:
    return f"ws://127.0.0.1:{port}/ws/v1/organisations/{organisation_id}/board/"


async def test_claims_and_log_ins_succeed_while_redis_is_down(organisation, coordinator, volunteer):
    shift = await db(ShiftFactory)(organisation=organisation, capacity=3)
    await _hash_for_daphne(volunteer, coordinator)
    with private_redis() as redis_server, running_daphne(redis_server.url) as port:
        redis_server.stop()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            tokens = await http.post(
                "/api/v1/auth/token/", json={"email": volunteer.email, "password": PASSWORD}
            )
            assert tokens.status_code == 200, tokens.text
            claim = await http.post(
                f"/api/v1/shifts/{shift.pk}/claim/",
                headers={"Authorization": f"Bearer {tokens.json()['access']}"},
            )
            assert claim.status_code == 201, claim.text
            # The board's own log-in page counts failed attempts in the cache as well.
            wrong = await _board_log_in(http, coordinator, "not-the-password")
            right = await _board_log_in(http, coordinator, PASSWORD)
        # The claim's event waited (it could not even be numbered) and goes out once Redis
        # is back: boards hear of it although they would also get a new snapshot.
        redis_server.start()
        log_path = ARTIFACTS / f"daphne-{port}.log"
        await _until(lambda: "published claim.confirmed on retry" in log_path.read_text(), 5)
        log = log_path.read_text()
    assert claim.json()["status"] == "confirmed"
    assert await db(Claim.objects.filter(shift=shift, volunteer=volunteer).exists)()
    assert wrong.status_code == 200  # the form again, with its error
    assert (right.status_code, right.headers["location"]) == (302, "/")
    # Five requests used the cache; the fallback is logged once per process.
    assert log.count(FALLBACK_WARNING) == 1, log


async def test_a_claim_after_redis_restarted_reaches_the_board_without_a_later_change(
    organisation, coordinator, make_volunteer
):
    shift = await db(ShiftFactory)(organisation=organisation, capacity=5)
    first, second = await db(make_volunteer)(), await db(make_volunteer)()
    with private_redis() as redis_server, running_daphne(redis_server.url) as port:
        board = BoardClient(board_url(port, organisation.pk), access_token(coordinator))
        board.start()
        try:
            async with _claimer(redis_server.url) as claim:
                await asyncio.wait_for(board.connected.wait(), 10)
                # The claimer publishes once, so its connections to Redis are pooled...
                assert await claim(first, shift.pk) == "published"
                await _until(lambda: board.counts(shift.pk) == (1, 0), 5)

                # ...and then stale: the server they were open to is gone.
                redis_server.stop()
                redis_server.start()
                # The board has noticed and resubscribed (its fresh snapshot is proof), so
                # the one event below is what must bring it up to date.
                await _until(lambda: board.snapshots >= 2, 10)
                assert await claim(second, shift.pk) == "published"
                truth = await db(lambda: Shift.objects.get(pk=shift.pk).confirmed_count)()
                assert truth == 2
                await _until(lambda: board.counts(shift.pk) == (2, 0), 3)
        finally:
            await board.stop()


async def test_a_board_is_told_when_redis_is_lost_and_when_it_is_back(organisation, coordinator):
    await db(ShiftFactory)(organisation=organisation)
    with private_redis() as redis_server, running_daphne(redis_server.url) as port:
        async with connect(
            board_url(port, organisation.pk),
            subprotocols=["inzet.v1", f"bearer.{access_token(coordinator)}"],  # type: ignore[list-item]
        ) as ws:
            first = json.loads(await ws.recv())
            redis_server.stop()
            lost = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            redis_server.start()
            after: list[dict[str, Any]] = []
            while not after or after[-1]["type"] != "snapshot":
                after.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=5)))
    assert first["type"] == "snapshot"
    assert lost == {"type": "status", "live": False}
    # Back online first, then the state to show: a client that only knows the snapshot
    # marks itself live there, as before.
    assert [frame["type"] for frame in after] == ["status", "snapshot"]
    assert after[0] == {"type": "status", "live": True}
    assert after[1]["seq"] > first["seq"]


@db
def _hash_for_daphne(*users: User) -> None:
    """The suite hashes passwords with MD5 for speed; the Daphne under test runs with the
    real hashers, which do not accept it."""
    hasher = PBKDF2PasswordHasher()
    for user in users:
        user.password = hasher.encode(PASSWORD, hasher.salt())
        user.save(update_fields=["password"])


async def _board_log_in(http: httpx.AsyncClient, user: User, password: str) -> httpx.Response:
    page = await http.get("/accounts/login/")
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found, page.text
    return await http.post(
        "/accounts/login/",
        data={"username": user.email, "password": password, "csrfmiddlewaretoken": found[1]},
    )


@contextlib.asynccontextmanager
async def _claimer(redis_url: str) -> AsyncIterator[Callable[[User, int], Any]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CLAIMER,
        cwd=ROOT,
        env=process_env(redis_url),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    stdin, stdout = process.stdin, process.stdout

    async def reply() -> str:
        line = await asyncio.wait_for(stdout.readline(), timeout=20)
        assert line, "the claiming process died"
        return line.decode().strip()

    async def claim(volunteer: User, shift_id: int) -> str:
        stdin.write(f"{volunteer.pk} {shift_id}\n".encode())
        await stdin.drain()
        return await reply()

    try:
        assert await reply() == "ready"
        yield claim
    finally:
        stdin.close()
        try:
            await asyncio.wait_for(process.wait(), timeout=10)
        except TimeoutError:
            process.kill()
            await process.wait()


async def _until(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        await asyncio.sleep(0.05)

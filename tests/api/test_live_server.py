"""A real Daphne, as in production: a fresh process under concurrent first requests, and
websocket paths that have no route. Both used to end in 500s with tracebacks in the log."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.realtime.live import ARTIFACTS, private_redis, running_daphne

# The server process reads the test database (nothing in it is needed, but it must exist).
pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_a_fresh_server_answers_eight_concurrent_schema_requests() -> None:
    async def eight_at_once(port: int) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            return await asyncio.gather(
                *(http.get("/api/schema/", params={"format": "json"}) for _ in range(8))
            )

    # The requests go out the moment the port opens, as after a deploy under traffic.
    with private_redis() as redis_server, running_daphne(redis_server.url) as port:
        responses = asyncio.run(eight_at_once(port))

    assert [response.status_code for response in responses] == [200] * 8
    assert len({response.content for response in responses}) == 1
    assert "/api/v1/shifts/" in responses[0].json()["paths"]
    assert "Traceback" not in (ARTIFACTS / f"daphne-{port}.log").read_text()


def test_unknown_websocket_paths_are_refused_without_a_traceback() -> None:
    paths = ["/ws/v1/nope/", "/", "/api/v1/shifts/", "/ws/v1/me/extra/"]

    async def handshake(port: int, path: str) -> int:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"ws://127.0.0.1:{port}{path}"):
                pass
        return refused.value.response.status_code

    async def all_paths(port: int) -> dict[str, int]:
        return {path: await handshake(port, path) for path in paths}

    with private_redis() as redis_server, running_daphne(redis_server.url) as port:
        statuses = asyncio.run(all_paths(port))

    # Closing before accepting is how an ASGI app refuses; Daphne answers it with 403.
    assert statuses == dict.fromkeys(paths, 403)
    log = (ARTIFACTS / f"daphne-{port}.log").read_text()
    assert "Traceback" not in log and "No route found" not in log, log

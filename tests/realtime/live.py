"""Real processes for end-to-end tests: Daphne, a private redis-server, a claim in another
process, and a board client that behaves like the board page (resync on gaps, reconnect with
back-off). Used by tests/realtime and tests/board.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, connections
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

ROOT = Path(__file__).resolve().parent.parent.parent
ARTIFACTS = ROOT / "test-artifacts"
DAPHNE = [sys.executable, "-m", "daphne", "-b", "127.0.0.1"]

NO_PERSISTENCE = ["--save", "", "--appendonly", "no"]

CLAIM_SCRIPT = """
import sys
import django
django.setup()
from backend.accounts.models import User
from backend.shifts.services import claim_create
claim_create(volunteer=User.objects.get(pk=int(sys.argv[1])), shift_id=int(sys.argv[2]))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def database_out_of_reach() -> Iterator[None]:
    """This process's new database connections go to a port where nothing listens, as when
    the server is down (never the shared PostgreSQL itself). Open connections stay open:
    close them first (connections opened through ``database_sync_to_async`` are closed after
    each call anyway, as ``CONN_MAX_AGE`` is 0 in tests)."""
    settings_dict = connections["default"].settings_dict
    port = settings_dict["PORT"]
    settings_dict["PORT"] = free_port()
    try:
        yield
    finally:
        settings_dict["PORT"] = port


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


def test_database_url() -> str:
    """The database pytest-django created, for other processes to use."""
    s = connection.settings_dict
    if s["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{s['NAME']}"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


def process_env(redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.config.settings",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "x"),
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": redis_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_COOKIES": "false",
        "PYTHONPATH": str(ROOT),
    }


@contextlib.contextmanager
def running_daphne(redis_url: str) -> Iterator[int]:
    """A Daphne server on a free port using the test database and ``redis_url``."""
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    # Daphne's log goes to test-artifacts/ (gitignored), to read when a test fails.
    log = (ARTIFACTS / f"daphne-{port}.log").open("w")
    process = subprocess.Popen(
        [*DAPHNE, "-p", str(port), "backend.config.asgi:application"],
        cwd=ROOT,
        env=process_env(redis_url),
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        # Loading the application (and its OpenAPI schema) takes seconds; on a busy machine
        # many more.
        wait_for_port(port, timeout=60)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextlib.contextmanager
def private_redis(port: int | None = None) -> Iterator[RedisServer]:
    server = RedisServer(port or free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class RedisServer:
    """A redis-server of the test's own (never the machine's shared one), without persistence."""

    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", *NO_PERSISTENCE],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


async def claim_in_another_process(*, volunteer_id: int, shift_id: int, redis_url: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CLAIM_SCRIPT,
        str(volunteer_id),
        str(shift_id),
        cwd=ROOT,
        env=process_env(redis_url),
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()


@dataclass
class BoardClient:
    """Keeps a board's state in sync the way board.js does, over a real TCP websocket."""

    url: str
    token: str
    shifts: dict[int, dict[str, Any]] = field(default_factory=dict)
    last_seq: int | None = None
    snapshots: int = 0
    events: int = 0
    closes: list[int | None] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        delay = 0.25
        while True:
            try:
                async with connect(
                    self.url,
                    subprotocols=["inzet.v1", f"bearer.{self.token}"],  # type: ignore[list-item]
                ) as ws:
                    async for raw in ws:
                        await self._handle(ws, json.loads(raw))
                        delay = 0.25
                    self.closes.append(ws.close_code)
            except (OSError, WebSocketException):
                pass
            self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def _handle(self, ws: Any, message: dict[str, Any]) -> None:
        if message["type"] == "snapshot":
            self.shifts = {row["id"]: row for row in message["shifts"]}
            self.last_seq = message["seq"]
            self.snapshots += 1
            self.connected.set()
        elif message["type"] == "status":
            self.connected.clear()
        elif message["type"] == "event":
            self.events += 1
            seq = message["seq"]
            if seq is not None and self.last_seq is not None and seq <= self.last_seq:
                return
            self.shifts[message["shift"]["id"]] = message["shift"]
            if seq is None or self.last_seq is None or seq != self.last_seq + 1:
                await ws.send(json.dumps({"type": "resync"}))
            else:
                self.last_seq = seq

    def counts(self, shift_id: int) -> tuple[int, int] | None:
        row = self.shifts.get(shift_id)
        return (row["confirmed_count"], row["waitlist_count"]) if row else None

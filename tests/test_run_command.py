"""The README's run command, on a fresh database, serves the demo shifts to a logged-in app.

Runs ``make run`` for real in its own process group (so it can be stopped whole), with the
virtualenv of this test run so the install step is the no-op a second ``make run`` is.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend.core.management.commands.seed_demo import SHIFT_TITLES

ROOT = Path(__file__).resolve().parent.parent
VOLUNTEER = re.compile(r"^\s+volunteer\s+(\S+@\S+)\s+(\S+)", re.MULTILINE)
START_TIMEOUT = 90.0

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, process: subprocess.Popen[str], base_url: str) -> None:
        self.process = process
        self.base_url = base_url
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_until_answering(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"make run exited with {self.process.returncode}:\n{self.output}")
            try:
                httpx.get(f"{self.base_url}/api/schema/", timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.3)
        pytest.fail(f"make run did not answer within {START_TIMEOUT} s:\n{self.output}")


@pytest.fixture
def server() -> Iterator[Server]:
    make = shutil.which("make")
    assert make is not None, "make is needed for the README's run command"
    # `make run` installs first; do that here with a longer timeout (a no-op when the
    # virtualenv's install stamp is newer than pyproject.toml, as after `make test`).
    subprocess.run(
        [make, "--no-print-directory", "install", f"VENV={sys.prefix}"],
        cwd=ROOT,
        check=True,
        timeout=600,
    )
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DEBUG", "REDIS_URL", "TELEGRAM_BOT_TOKEN", "HOST", "PORT"}
        }
        env["DATABASE_URL"] = f"sqlite:///{tmp}/db.sqlite3"
        process = subprocess.Popen(
            [make, "--no-print-directory", "run", f"PORT={port}", f"VENV={sys.prefix}"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        running = Server(process, f"http://127.0.0.1:{port}")
        try:
            yield running
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def test_run_command_serves_the_demo_shifts_and_stops_on_ctrl_c(server: Server) -> None:
    server.wait_until_answering()
    credentials = VOLUNTEER.search(server.output)
    assert credentials, server.output
    email, password = credentials.groups()

    token = httpx.post(
        f"{server.base_url}/api/v1/auth/token/",
        json={"email": email, "password": password},
        timeout=10,
    )
    assert token.status_code == 200, token.text
    response = httpx.get(
        f"{server.base_url}/api/v1/shifts/",
        headers={"Authorization": f"Bearer {token.json()['access']}"},
        timeout=10,
    )

    assert response.status_code == 200, response.text
    page = response.json()
    assert len(page["results"]) > 0
    assert page["results"]
    assert {shift["title"] for shift in page["results"]} <= SHIFT_TITLES
    assert "bot is off: TELEGRAM_BOT_TOKEN not set" in server.output

    # Ctrl-C in a terminal sends SIGINT to the whole foreground process group.
    os.killpg(server.process.pid, signal.SIGINT)
    server.process.wait(timeout=15)
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):
        os.killpg(server.process.pid, 0)  # nothing of the run is left over
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.base_url}/api/schema/", timeout=2)

"""scripts/serve.py (the Procfile's web process): several Daphne processes share one port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_pid(url: str) -> int:
    return int(httpx.get(url, timeout=10).text)


def test_two_daphne_processes_answer_on_one_port_and_stop_together() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    serve = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "scripts" / "serve.py"),
            "--port",
            str(port),
            "--processes",
            "2",
            "--app",
            "tests.pid_app:application",
        ],
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get_pid(url)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve.py did not answer"
                time.sleep(0.2)
        # Each request blocks its process for 0.3 s, so concurrent ones need the other one.
        with ThreadPoolExecutor(max_workers=6) as pool:
            pids = set(pool.map(get_pid, [url] * 12))
        assert len(pids) == 2
        assert serve.pid not in pids

        serve.send_signal(signal.SIGTERM)  # only the parent, as a platform would
        assert serve.wait(timeout=15) == 0
        time.sleep(0.3)
        with pytest.raises(httpx.TransportError):
            httpx.get(url, timeout=2)
        with pytest.raises(ProcessLookupError):
            os.killpg(serve.pid, 0)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(serve.pid, signal.SIGKILL)
        serve.wait()

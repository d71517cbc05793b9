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


def start_two_processes(port: int) -> subprocess.Popen[bytes]:
    """serve.py with two Daphne processes of tests/pid_app.py, in a session of its own."""
    return subprocess.Popen(
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


def wait_until_answering(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            get_pid(url)
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline, "serve.py did not answer"
            time.sleep(0.2)


def test_two_daphne_processes_answer_on_one_port_and_stop_together() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    serve = start_two_processes(port)
    try:
        wait_until_answering(url)
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


def test_connections_opened_at_once_are_shared_between_the_processes() -> None:
    """A client (a proxy, a load balancer, a benchmark) that opens its keep-alive connections
    all at once gets both processes, not one process for every connection: each process
    listens on its own socket (SO_REUSEPORT) and the kernel spreads new connections over them.
    With one shared socket, the first process to wake accepted the whole burst."""
    port = free_port()
    serve = start_two_processes(port)
    connections: list[socket.socket] = []
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/")
        time.sleep(1)  # both processes up and idle
        # One process is busy (a request holds it for 0.3 s) when the burst of connections
        # comes, as under load: with one shared socket, the other one accepted them all.
        busy = socket.create_connection(("127.0.0.1", port))
        busy.sendall(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        time.sleep(0.1)
        connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(30)]
        connections.append(busy)
        time.sleep(0.5)  # every connection accepted before any request arrives
        for connection in connections:
            connection.sendall(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        pids: list[int] = []
        for connection in connections:
            connection.settimeout(30)
            answer = b""
            while chunk := connection.recv(4096):
                answer += chunk
            pids.append(int(answer.rsplit(b"\r\n\r\n", 1)[1]))
        counts = sorted(pids.count(pid) for pid in set(pids))
        # Spread by the kernel's hash: 15/15 on average; fewer than 5 on one side is rarer
        # than 1 in 3,000. One shared socket gave 30/1.
        assert len(counts) == 2 and counts[0] >= 5, counts
    finally:
        for connection in connections:
            connection.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(serve.pid, signal.SIGKILL)
        serve.wait()


def test_a_port_in_use_is_refused_not_shared() -> None:
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        serve = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "serve.py"), "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert serve.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in serve.stderr

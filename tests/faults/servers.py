"""The Procfile's web process for fault tests: scripts/serve.py with several Daphne processes
and the connection pool, on the test database, as the README recommends for production."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import psycopg
from django.conf import settings

from tests.realtime.live import ARTIFACTS, ROOT, free_port, process_env
from tests.realtime.live import test_database_url as database_url


@contextlib.contextmanager
def running_web(processes: int = 2, **env_vars: str) -> Iterator[str]:
    """The base URL of a running web process; its log goes to test-artifacts/."""
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    env = process_env(settings.REDIS_URL) | {
        "DB_POOL": "true",
        "WEB_CONCURRENCY": str(processes),
        # The limits are not what this test is about; a minute of claims would trip them.
        "THROTTLE_CLAIMS": "100000/min",
        "THROTTLE_LOGIN_ADDRESS": "100000/min",
        "THROTTLE_SIGNUP": "100000/min",
        "THROTTLE_REFRESH": "100000/min",
        "LOG_LEVEL": "WARNING",
        **env_vars,
    }
    log = (ARTIFACTS / f"web-{port}.log").open("w")
    serve = [sys.executable, str(ROOT / "scripts" / "serve.py"), "--host", "127.0.0.1"]
    proc = subprocess.Popen(
        [*serve, "--port", str(port), "--processes", str(processes)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/api/v1/shifts/", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, "the web process died"
                assert time.monotonic() < deadline, "the web process did not start"
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        # The Daphne processes too (they hold database connections: the test database can
        # only be dropped once they are gone).
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def deadlocks() -> int:
    """Deadlocks PostgreSQL has detected in the test database so far (its own counter)."""
    with psycopg.connect(database_url(), autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    return int(row[0])

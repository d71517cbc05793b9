"""Shared by the benchmarks: a fresh PostgreSQL database, the production server, wrk."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_BASE_URL = PG_ADMIN_URL.rsplit("/", 1)[0]


def fresh_database(name: str) -> str:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_BASE_URL}/{name}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}"


class Server:
    """The Procfile's web process: scripts/serve.py with N Daphne processes."""

    def __init__(
        self,
        env: dict[str, str],
        processes: int,
        app: str = "backend.config.asgi:application",
        start_seconds: float = 30,
    ) -> None:
        self.start_seconds = start_seconds
        self.port = free_port()
        self.processes = processes
        self.app = app
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "scripts" / "serve.py"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--processes",
                str(self.processes),
                "--app",
                self.app,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.start_seconds
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/api/schema/", timeout=2)
                return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("the server did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)


def production_env(database_url: str, redis_url: str, processes: int) -> dict[str, str]:
    """The environment of the Procfile's web process as the README recommends for production:
    PostgreSQL with a connection pool, Redis, N Daphne processes."""
    return dict(
        os.environ,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DB_POOL="true",
        LOG_LEVEL="WARNING",
        WEB_CONCURRENCY=str(processes),
        PYTHONPATH=str(ROOT),
    )


def server_arguments() -> argparse.ArgumentParser:
    """--seconds per run, --processes (Daphne processes: as the Procfile, one per core unless
    WEB_CONCURRENCY says otherwise) and --redis-url."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument(
        "--processes",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
    )
    return parser


def run_wrk(
    url: str, pairs_file: Path, *, connections: int, seconds: int, threads: int = 2
) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    env = dict(os.environ, PAIRS_FILE=str(pairs_file), WRK_THREADS=str(threads))
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "bench" / "wrk_pairs.lua"),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["per_second"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def pgbench(url: str, script: str, *, clients: int, seconds: int) -> float:
    path = Path("/tmp") / f"inzet-bench-{os.getpid()}.sql"
    path.write_text(script)
    out = subprocess.run(
        [
            "pgbench",
            "-n",
            "-c",
            str(clients),
            "-j",
            "2",
            "-T",
            str(seconds),
            "-M",
            "prepared",
            "-f",
            str(path),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path.unlink()
    for line in out.splitlines():
        if line.startswith("tps ="):
            return float(line.split()[2])
    raise RuntimeError(f"pgbench printed no tps:\n{out}")


BENCH_SECRET = "bench-only-secret-key-0123456789abcdef0123456789abcdef"


def setup_django(database_url: str, redis_url: str = "", **env: str) -> None:
    """Django in the benchmark's own process, on ``database_url``, migrated; ``env`` adds
    settings (as environment variables) to the benchmark's defaults."""
    os.environ.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY=BENCH_SECRET,
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,testserver",
        **env,
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed_members(volunteers: int) -> tuple[Any, list[Any]]:
    """An organisation "Bench" and ``volunteers`` volunteer members with profiles, in bulk
    (inside a Django set up by the caller); the organisation and the users."""
    from backend.accounts.models import User, VolunteerProfile
    from backend.organisations.models import Membership, Organisation, Role

    org = Organisation.objects.create(name="Bench", slug="bench")
    users = User.objects.bulk_create(
        [User(email=f"v{i}@bench.example", password="!") for i in range(volunteers)],
        batch_size=2000,
    )
    VolunteerProfile.objects.bulk_create(
        [VolunteerProfile(user=u, display_name=f"V{u.pk}") for u in users], batch_size=2000
    )
    Membership.objects.bulk_create(
        [Membership(user=u, organisation=org, role=Role.VOLUNTEER) for u in users],
        batch_size=2000,
    )
    return org, users

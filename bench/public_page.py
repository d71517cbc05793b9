"""Benchmark: an organisation's public page (/o/<slug>/) with 1,000 upcoming public shifts.

Method
------
1. A fresh PostgreSQL database is migrated and seeded: one organisation with its public page
   on (a description, a lasting invite for the Join via Telegram QR code) and 1,000 published
   public shifts at distinct hours over the coming weeks.
2. In this process: the page rendered without the cache (``_render``: the queries and the
   template, 60 shifts shown and "and 940 more"), 30 times; the median and the worst time, and
   the queries it runs. Then a view through Django's test client with the cache warm (Redis):
   the queries it runs (the design says none).
3. The production web process as the Procfile starts it (scripts/serve.py: N Daphne
   processes, DEBUG off, the database pool, the Redis cache), N = WEB_CONCURRENCY (default:
   the number of cores); wrk (50 connections, 2 threads, on this same machine) GETs
   /o/bench/?lang=nl for --seconds after a 2-second warm-up: requests per second, latency
   percentiles, and every answer must be 200.

Run: python bench/public_page.py [--seconds 10] [--processes N]   (needs PostgreSQL, Redis, wrk)
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH_SECRET, Server, fresh_database, machine, production_env, server_arguments
from common import setup_django as common_setup_django

SHIFTS = 1_000
RENDERS = 30
SECRET = BENCH_SECRET


def setup_django(database_url: str, redis_url: str = "") -> None:
    common_setup_django(database_url, redis_url, TELEGRAM_BOT_USERNAME="InzetBenchBot")


def seed() -> int:
    from django.utils import timezone

    from backend.accounts.models import User, VolunteerProfile
    from backend.organisations.models import Membership, Organisation, Role
    from backend.organisations.services import organisation_update
    from backend.shifts.models import Shift, ShiftMode, ShiftStatus, ShiftVisibility

    organisation = Organisation.objects.create(name="Bench", slug="bench")
    admin = User.objects.create_user("admin@bench.example", "!")
    VolunteerProfile.objects.create(user=admin, display_name="Admin")
    Membership.objects.create(user=admin, organisation=organisation, role=Role.ADMIN)
    organisation_update(
        actor=admin,
        organisation_id=organisation.pk,
        public_page_enabled=True,
        public_description="Wandel mee met onze bewoners, of bel eens een uurtje.",
    )
    start = (timezone.now() + dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    Shift.objects.bulk_create(
        [
            Shift(
                organisation=organisation,
                title=f"Wandeling {n}",
                mode=ShiftMode.ONLINE if n % 3 == 0 else ShiftMode.ON_SITE,
                address="" if n % 3 == 0 else "Kerkstraat 1, 9000 Gent",
                meeting_link="https://meet.example.org/x" if n % 3 == 0 else "",
                starts_at=start + dt.timedelta(hours=n),
                ends_at=start + dt.timedelta(hours=n, minutes=90),
                capacity=5,
                confirmed_count=n % 6 if n % 6 < 5 else 5,
                status=ShiftStatus.PUBLISHED,
                visibility=ShiftVisibility.PUBLIC,
            )
            for n in range(SHIFTS)
        ],
        batch_size=500,
    )
    return organisation.pk


def in_process(organisation_id: int) -> dict[str, object]:
    from django.core.cache import cache
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from backend.board.views.public import _render

    # The migration's statements fill the debug log to its length limit, after which counting
    # by its length finds nothing: start from an empty one.
    reset_queries()
    times = []
    for _ in range(RENDERS):
        began = time.perf_counter()
        status, _body = _render(organisation_id, "nl")
        times.append((time.perf_counter() - began) * 1000)
        assert status == 200
    with CaptureQueriesContext(connection) as captured:
        _render(organisation_id, "nl")
    render_queries = len(captured)  # now: it reads the log, which the next step clears
    cache.clear()
    client = Client()
    assert client.get("/o/bench/?lang=nl").status_code == 200  # fills the cache
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/o/bench/?lang=nl").status_code == 200
    cached_queries = len(captured)
    return {
        "render_median_ms": round(statistics.median(times), 2),
        "render_max_ms": round(max(times), 2),
        "render_queries": render_queries,
        "cached_view_queries": cached_queries,
    }


def wrk(url: str, seconds: int) -> dict[str, object]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    target = f"{url}/o/bench/?lang=nl"
    subprocess.run(["wrk", "-t2", "-c50", "-d2s", target], capture_output=True, check=True)
    out = subprocess.run(
        ["wrk", "-t2", "-c50", f"-d{seconds}s", "--latency", target],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)$", out, flags=re.M))
    return {
        "requests_per_second": float(found.group(1)) if found else None,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "latency": {f"p{k}": v for k, v in latency.items()},
    }


def main() -> None:
    args = server_arguments().parse_args()
    database_url = fresh_database("inzet_bench_public")
    setup_django(database_url, args.redis_url)
    organisation_id = seed()
    print(f"machine: {machine()}; {SHIFTS} public shifts; {args.processes} web processes")
    local = in_process(organisation_id)
    print(f"in process: {local}")
    env = production_env(database_url, args.redis_url, args.processes)
    env.update(SECRET_KEY=SECRET, TELEGRAM_BOT_USERNAME="InzetBenchBot", DEBUG="false")
    with Server(env, args.processes) as server:
        served = wrk(server.url, args.seconds)
    print(f"served (wrk, 50 connections, {args.seconds} s): {served}")


if __name__ == "__main__":
    main()

"""Benchmark: the coordinator's board with 300 shifts and 2,000 claims in its window.

Goal (issue 11): the board page renders in under 300 ms of server time: the page's GET plus
the snapshot its websocket sends on connect (``board_snapshot``, backend/board/selectors.py).

Method (everything on this machine):
- a fresh PostgreSQL database, migrated; one organisation (Europe/Brussels), a coordinator,
  400 volunteers with profiles and memberships; 300 published shifts spread over the board's
  default window (8 days from local midnight today, 08:00 to 20:00), 6 seats each; 2,000
  claims: every seat taken (1,800, of which today's past shifts' are completed or no-show,
  some checked in) and 200 on waitlists. Rows are bulk-inserted (then ANALYZEd): this
  measures reads.
- the web process as deployed, with the README's production settings: scripts/serve.py with
  ``--processes`` Daphne processes (default: one per core, as the Procfile), ``DB_POOL=true``,
  ``REDIS_URL`` (a private redis-server), ``DEBUG=false``.
- the coordinator's session cookie (a session saved by Django's session store, as a log-in
  does). ``--runs`` runs one after the other, after 3 warm-up runs: ``GET /board/<slug>/``
  (from sending the request to the last byte of the answer), then the board websocket with
  the cookie and our Origin, from opening the TCP connection to the snapshot frame received
  (handshake, session and access check, the snapshot's reads, encoding and sending; not the
  client's parsing of the frame). Both are
  measured by a client on the same machine: server time plus loopback, an upper bound.
- the same snapshot in this process alone (``board_snapshot`` and the consumer's JSON encoding,
  no network), with its number of queries.
Prints the median and p95 of each, and of page + snapshot per run, in milliseconds.

    SECRET_KEY=x .venv/bin/python bench/board_page.py [--runs 30] [--processes N]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from common import Server, fresh_database, machine  # noqa: E402
from fanout import private_redis  # noqa: E402

SHIFTS = 300
SEATS = 6
WAITLISTED = 200  # claims beyond the seats: 300 x 6 + 200 = 2,000
VOLUNTEERS = 400
WARM_UP = 3


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def figures(name: str, values: list[float]) -> dict[str, Any]:
    return {
        "what": name,
        "runs": len(values),
        "median_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 0.95), 1),
        "max_ms": round(max(values), 1),
    }


# --- setup ---------------------------------------------------------------------------------


def prepare() -> tuple[str, int, str]:
    """Migrate and seed; returns the organisation's slug and id and the session key."""
    import django

    django.setup()
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from backend.accounts.models import User, VolunteerProfile
    from backend.board.selectors import board_window
    from backend.organisations.models import Membership, Organisation, Role
    from backend.shifts.models import Claim, ClaimStatus, Shift, ShiftStatus

    call_command("migrate", verbosity=0)
    organisation = Organisation.objects.create(
        name="WZC Benchmark", slug="bench-board", time_zone="Europe/Brussels"
    )
    coordinator = User.objects.create_user("coordinator@bench.example", "unused")
    VolunteerProfile.objects.create(user=coordinator, display_name="Coördinator")
    Membership.objects.create(user=coordinator, organisation=organisation, role=Role.COORDINATOR)
    users = User.objects.bulk_create(
        [User(email=f"v{i}@bench.example", password="!") for i in range(VOLUNTEERS)]
    )
    VolunteerProfile.objects.bulk_create(
        [
            VolunteerProfile(user=u, display_name=f"Vrijwilliger {i:03d} Van Den Broeck")
            for i, u in enumerate(users)
        ]
    )
    Membership.objects.bulk_create(
        [Membership(user=u, organisation=organisation, role=Role.VOLUNTEER) for u in users]
    )

    now = timezone.now()
    start, _end = board_window(organisation=organisation, now=now)
    per_day = SHIFTS // 8 + 1
    shifts = []
    for i in range(SHIFTS):
        day, slot = divmod(i, per_day)
        begins = start + dt.timedelta(days=day, hours=8 + slot * 12 / per_day)
        shifts.append(
            Shift(
                organisation=organisation,
                title=f"Wandeling met bewoners {i}",
                address="Kerkstraat 1, 9000 Gent",
                starts_at=begins,
                ends_at=begins + dt.timedelta(hours=2),
                capacity=SEATS,
                confirmed_count=SEATS,
                waitlist_count=0,
                status=ShiftStatus.PUBLISHED,
            )
        )
    shifts = Shift.objects.bulk_create(shifts)
    claims = []
    for index, shift in enumerate(shifts):
        waiting = 1 if index % 3 < 2 else 0  # two shifts in three: 200 on waitlists
        for k in range(SEATS + waiting):
            volunteer = users[(index * 7 + k) % VOLUNTEERS]
            if k >= SEATS:
                status, ticket = ClaimStatus.WAITLISTED, 1
            elif shift.ends_at < now:
                status, ticket = (ClaimStatus.NO_SHOW if k == 0 else ClaimStatus.COMPLETED), None
            else:
                status, ticket = ClaimStatus.CONFIRMED, None
            past = shift.starts_at < now
            claims.append(
                Claim(
                    shift=shift,
                    volunteer=volunteer,
                    status=status,
                    waitlist_ticket=ticket,
                    confirmed_at=None if ticket else shift.starts_at - dt.timedelta(days=3),
                    checked_in_at=shift.starts_at if past and status != "no_show" else None,
                    minutes_volunteered=120 if status == ClaimStatus.COMPLETED else None,
                )
            )
        if waiting:
            shift.waitlist_count = waiting
            shift.waitlist_seq = waiting
    Claim.objects.bulk_create(claims)
    Shift.objects.bulk_update(shifts, ["waitlist_count", "waitlist_seq"])
    assert Claim.objects.count() == SHIFTS * SEATS + WAITLISTED, Claim.objects.count()
    # Statistics, as autovacuum keeps them in production (fresh bulk inserts have none).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(coordinator.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = coordinator.get_session_auth_hash()
    session.save()
    assert session.session_key is not None
    return organisation.slug, organisation.pk, session.session_key


def in_process(organisation_id: int, runs: int) -> tuple[dict[str, Any], int, int, int]:
    """The snapshot alone: read and encode, ``runs`` times. Also its queries, shifts, claims."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from backend.board.selectors import board_snapshot, board_window
    from backend.organisations.models import Organisation

    organisation = Organisation.objects.get(pk=organisation_id)

    def once() -> dict[str, Any]:
        start, end = board_window(organisation=organisation, now=timezone.now())
        snapshot = board_snapshot(organisation=organisation, start=start, end=end)
        json.dumps({"type": "snapshot", "seq": 0, **snapshot}, separators=(",", ":"))
        return dict(snapshot)

    with CaptureQueriesContext(connection) as queries:
        snapshot = once()
    timings = []
    for run in range(WARM_UP + runs):
        began = time.perf_counter()
        once()
        if run >= WARM_UP:
            timings.append((time.perf_counter() - began) * 1000)
    shown = sum(len(s["volunteers"]) for s in snapshot["shifts"])
    return (
        figures("snapshot in-process (read + JSON)", timings),
        len(queries),
        len(snapshot["shifts"]),
        shown,
    )


# --- against the server --------------------------------------------------------------------


async def measure(
    base: str, slug: str, organisation_id: int, session_key: str, runs: int
) -> dict[str, list[float]]:
    from websockets.asyncio.client import connect

    cookie = f"sessionid={session_key}"
    ws_url = base.replace("http://", "ws://") + f"/ws/v1/organisations/{organisation_id}/board/"
    page_ms: list[float] = []
    snapshot_ms: list[float] = []
    sizes: list[int] = []

    def get_page() -> float:
        request = urllib.request.Request(f"{base}/board/{slug}/", headers={"Cookie": cookie})
        began = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
            assert response.status == 200, response.status
        elapsed = (time.perf_counter() - began) * 1000
        assert b"board-config" in body, "not the board page (logged out?)"
        return elapsed

    for run in range(WARM_UP + runs):
        page = await asyncio.to_thread(get_page)
        began = time.perf_counter()
        async with connect(
            ws_url,
            additional_headers={"Cookie": cookie},
            origin=base,  # type: ignore[arg-type]
            max_size=None,
            compression=None,
        ) as ws:
            while True:
                raw = await ws.recv()
                # The clock stops at the frame; parsing it is the client's time, not the server's.
                elapsed = (time.perf_counter() - began) * 1000
                message = json.loads(raw)
                if message["type"] == "snapshot":
                    break
        assert len(message["shifts"]) == SHIFTS, len(message["shifts"])
        if run >= WARM_UP:
            page_ms.append(page)
            snapshot_ms.append(elapsed)
            sizes.append(len(raw))
    return {"page": page_ms, "snapshot": snapshot_ms, "bytes": [float(s) for s in sizes]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--processes", type=int, default=int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count())
    )
    parser.add_argument("--database", default="inzet_bench_board")
    args = parser.parse_args()

    load_before = os.getloadavg()
    with private_redis() as redis_url:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "backend.config.settings",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-secret-key",
            "DATABASE_URL": fresh_database(args.database),
            "REDIS_URL": redis_url,
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DB_POOL": "true",
            "LOG_LEVEL": "WARNING",
            "WEB_CONCURRENCY": str(args.processes),
            "PYTHONPATH": str(ROOT),
        }
        os.environ.update(env)
        slug, organisation_id, session_key = prepare()
        alone, queries, shifts, shown = in_process(organisation_id, args.runs)
        # A loaded machine takes more than the default 30 s to start the processes.
        with Server(env, args.processes, start_seconds=180) as server:
            measured = asyncio.run(
                measure(server.url, slug, organisation_id, session_key, args.runs)
            )
    load_after = os.getloadavg()

    totals = [p + s for p, s in zip(measured["page"], measured["snapshot"], strict=True)]
    results = [
        figures("GET /board/<slug>/", measured["page"]),
        figures("websocket: connect to snapshot received", measured["snapshot"]),
        figures("page + snapshot (per run)", totals),
        alone,
    ]
    print(
        f"\nMachine: {machine()}; Daphne processes: {args.processes}; load average before "
        f"{load_before[0]:.1f}, after {load_after[0]:.1f}"
    )
    print(
        f"Window: {shifts} shifts, {shown} claims shown; snapshot {queries} queries, "
        f"{statistics.median(measured['bytes']) / 1024:.0f} KiB of JSON"
    )
    print(f"{'what':42} {'runs':>5} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for r in results:
        print(
            f"{r['what']:42} {r['runs']:>5} {r['median_ms']:>10} {r['p95_ms']:>8} {r['max_ms']:>8}"
        )
    goal = "met" if figures("", totals)["p95_ms"] < 300 else "NOT met"
    print(f"goal: page + snapshot under 300 ms (p95): {goal}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()

"""Benchmark: claims per second and latency through the real server, against raw SQL.

Method
------
1. A fresh PostgreSQL database is migrated and seeded: one organisation, 21,000 volunteer
   members, 1,000 published shifts at distinct hours (capacity 500) and one hot shift.
2. The production web process is started as the Procfile does (scripts/serve.py: N Daphne
   processes, each with its own listening socket on the port; DEBUG off, a psycopg
   connection pool (DB_POOL), Redis channel layer so every claim also publishes its event)
   with N = WEB_CONCURRENCY (default: the number of cores, as the Procfile's web process).
3. wrk (50 connections, 2 threads, on this same machine) POSTs /api/v1/shifts/{id}/claim/
   with JWT bearer tokens, every request a distinct (volunteer, shift) pair:
   (a) spread: 6,000 volunteers each claim 10 of the 1,000 shifts;
   (b) hot: 15,000 other volunteers all claim the one hot shift (500 confirmed, then the
       waitlist: every request still takes the shift's row lock).
   Every answer must be 2xx; the database is checked afterwards (no shift over capacity,
   counters equal to their rows).
4. The floor, on the same server (its settings add bench/floor/urls.py's do-nothing
   endpoints to the project's URLs): wrk POSTs or GETs /floor/drf-jwt/, a DRF view that
   authenticates the bearer token as the claim endpoint does and nothing else, with the same
   connections. Each measurement runs three times (rounds), each right after the floor of
   the same method, and every figure is printed as a ratio of the floor just before it; the
   median round is reported. (This machine's speed drifts within minutes: a floor measured
   once, minutes away, made the ratios swing by half.) A round of claims uses pairs of its
   own.
5. Reference, in the same run: pgbench with 50 clients runs the same conditional UPDATE of a
   seat counter plus the INSERT of a claim row, spread over 1,000 rows and on one hot row.
6. The domain service alone: ``claim_create`` called in the benchmark's own process for
   1,000 more claims, one after the other (no HTTP), with publishing to Redis: CPU and wall
   time per claim, the floor under what any web stack could add.
7. The open-shifts list at 100,000 shifts (the table vacuumed, 2 s of warm-up): GET
   /api/v1/shifts/?open=true in three rounds as above; p95 latency, and queries per request
   counted in-process on the same code.

Run: python bench/claims.py [--seconds 10] [--processes N]   (needs PostgreSQL, Redis, wrk)
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    BENCH_SECRET,
    Server,
    fresh_database,
    machine,
    pgbench,
    production_env,
    run_wrk,
    seed_members,
    server_arguments,
)
from common import (
    setup_django as common_setup_django,
)

SPREAD_USERS = 6_000
HOT_USERS = 15_000
SHIFTS = 1_000
LIST_SHIFTS = 100_000
ROUNDS = 3
CLIENTS = 50
SECRET = BENCH_SECRET


def setup_django(database_url: str, redis_url: str = "") -> None:
    common_setup_django(database_url, redis_url, JWT_ACCESS_MINUTES="120")


def seed() -> dict[str, object]:
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from backend.shifts.models import Shift, ShiftStatus

    org, users = seed_members(SPREAD_USERS + HOT_USERS)
    start = (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    shifts = Shift.objects.bulk_create(
        [
            Shift(
                organisation=org,
                title=f"Shift {i}",
                address="Bench 1",
                starts_at=start + dt.timedelta(hours=2 * i),
                ends_at=start + dt.timedelta(hours=2 * i + 1),
                capacity=500,
                status=ShiftStatus.PUBLISHED,
            )
            for i in range(SHIFTS + 1)
        ]
    )
    hot = shifts[-1]
    spread = shifts[:-1]
    tokens = {u.pk: str(AccessToken.for_user(u)) for u in users}
    spread_users, hot_users = users[:SPREAD_USERS], users[SPREAD_USERS:]
    spread_pairs = [
        (u.pk, spread[(n * 10 + j) % SHIFTS].pk)
        for j in range(10)
        for n, u in enumerate(spread_users)
    ]
    spread_lines = [
        f"POST /api/v1/shifts/{shift_id}/claim/ {tokens[user_id]}"
        for user_id, shift_id in spread_pairs
    ]
    hot_lines = [f"POST /api/v1/shifts/{hot.pk}/claim/ {tokens[u.pk]}" for u in hot_users]
    return {
        "org": org,
        "spread_lines": spread_lines,
        "spread_pairs": spread_pairs,
        "hot_lines": hot_lines,
        "hot": hot,
        "token": tokens[spread_users[0].pk],
        "user": spread_users[0],
    }


def check_database(requests_ok: int) -> dict[str, int]:
    from django.db.models import Count, F, Q

    from backend.shifts.models import Claim, Shift

    over = Shift.objects.filter(confirmed_count__gt=F("capacity")).count()
    mismatched = (
        Shift.objects.annotate(real=Count("claims", filter=Q(claims__status="confirmed")))
        .exclude(real=F("confirmed_count"))
        .count()
    )
    return {"claims": Claim.objects.count(), "over_capacity": over, "counter_mismatch": mismatched}


def service_alone(pairs: list[tuple[int, int]]) -> dict[str, float]:
    """``claim_create`` called in this process, one claim after the other: no HTTP, no
    server, the same database, Redis publishing included. The CPU time is this process's
    (the calling thread and the publishing thread)."""
    from backend.accounts.models import User
    from backend.shifts.services import claim_create
    from realtime.events import flush_events

    users = User.objects.in_bulk([user_id for user_id, _ in pairs])
    for user_id, shift_id in pairs[:100]:  # warm up: connections, the compiled read
        claim_create(volunteer=users[user_id], shift_id=shift_id)
    flush_events()
    cpu, wall = time.process_time(), time.perf_counter()
    for user_id, shift_id in pairs[100:]:
        claim_create(volunteer=users[user_id], shift_id=shift_id)
    flush_events()
    n = len(pairs) - 100
    return {
        "claims": n,
        "wall_ms_per_claim": round((time.perf_counter() - wall) * 1000 / n, 2),
        "cpu_ms_per_claim": round((time.process_time() - cpu) * 1000 / n, 2),
    }


def reference(seconds: int) -> tuple[float, float]:
    url = fresh_database("inzet_bench_ref")
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE shift (id int PRIMARY KEY, confirmed int NOT NULL, capacity int NOT NULL,"
            " CHECK (confirmed <= capacity));"
            "CREATE TABLE claim (id bigserial PRIMARY KEY, shift_id int NOT NULL REFERENCES shift,"
            " volunteer_id bigint NOT NULL, status text NOT NULL,"
            " created_at timestamptz NOT NULL DEFAULT now(), UNIQUE (shift_id, volunteer_id));"
            "CREATE SEQUENCE volunteer_seq;"
            f"INSERT INTO shift SELECT g, 0, 1000000000 FROM generate_series(1, {SHIFTS}) g;"
        )
    claim_sql = (
        "BEGIN;\n"
        "UPDATE shift SET confirmed = confirmed + 1 WHERE id = :s AND confirmed < capacity"
        " RETURNING confirmed;\n"
        "INSERT INTO claim (shift_id, volunteer_id, status)"
        " VALUES (:s, nextval('volunteer_seq'), 'confirmed');\n"
        "COMMIT;\n"
    )
    spread = pgbench(
        url, f"\\set s random(1, {SHIFTS})\n" + claim_sql, clients=CLIENTS, seconds=seconds
    )
    hot = pgbench(url, "\\set s 1\n" + claim_sql, clients=CLIENTS, seconds=seconds)
    return spread, hot


def list_queries(user: object, token: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/shifts/?open=true")
    assert response.status_code == 200, response.content
    return len(queries)


def add_list_shifts(org: object) -> None:
    from django.utils import timezone

    from backend.shifts.models import Shift, ShiftStatus

    start = timezone.now() + dt.timedelta(days=400)
    Shift.objects.bulk_create(
        [
            Shift(
                organisation=org,
                title=f"List {i}",
                address="Bench 1",
                starts_at=start + dt.timedelta(minutes=30 * i),
                ends_at=start + dt.timedelta(minutes=30 * i + 60),
                capacity=3,
                status=ShiftStatus.PUBLISHED,
            )
            for i in range(LIST_SHIFTS - SHIFTS - 1)
        ],
        batch_size=5000,
    )
    from django.db import connection

    # Vacuumed too, as a table at rest is: otherwise autovacuum starts on the 99,000 new rows
    # while the list is measured.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def main() -> None:
    args = server_arguments().parse_args()

    database_url = fresh_database("inzet_bench")
    setup_django(database_url, args.redis_url)
    data = seed()
    server_env = production_env(database_url, args.redis_url, args.processes)
    # The project's URLs plus the floor's do-nothing views, on the same server.
    server_env["DJANGO_SETTINGS_MODULE"] = "bench.floor.settings"
    results: dict[str, object] = {"machine": machine(), "processes": args.processes}
    with tempfile.TemporaryDirectory() as tmp, Server(server_env, args.processes) as server:
        tokens = [line.rsplit(" ", 1)[1] for line in data["spread_lines"][:200]]  # type: ignore[index]
        floors = {}
        for method in ("POST", "GET"):
            floors[method] = Path(tmp) / f"floor-{method}.txt"
            floors[method].write_text("".join(f"{method} /floor/drf-jwt/ {t}\n" for t in tokens))

        def rounds(name: str, files: list[Path], floor: Path) -> list[dict[str, Any]]:
            """Each file in turn, each right after the floor: on a machine whose speed drifts
            within minutes, each round's ratio compares like with like."""
            taken = []
            for n, file in enumerate(files, 1):
                floor_run = run_wrk(server.url, floor, connections=CLIENTS, seconds=args.seconds)
                run = run_wrk(server.url, file, connections=CLIENTS, seconds=args.seconds)
                taken.append({"floor": floor_run, "run": run})
                print(name, n, run, "floor", floor_run, flush=True)
            return taken

        run_wrk(server.url, floors["POST"], connections=CLIENTS, seconds=2)  # warm-up
        for name in ("spread", "hot"):
            lines: list[str] = data[f"{name}_lines"]  # type: ignore[assignment]
            # Every round claims pairs of its own: a claim is made once.
            share = len(lines) // ROUNDS
            files = []
            for n in range(ROUNDS):
                files.append(Path(tmp) / f"{name}-{n}.txt")
                files[-1].write_text("\n".join(lines[n * share : (n + 1) * share]) + "\n")
            results[name] = rounds(name, files, floors["POST"])
        results["database"] = check_database(0)
        add_list_shifts(data["org"])
        pairs = Path(tmp) / "list.txt"
        pairs.write_text(f"GET /api/v1/shifts/?open=true {data['token']}\n")
        run_wrk(server.url, pairs, connections=CLIENTS, seconds=2)  # warm-up, not counted
        results["list"] = rounds("list", [pairs] * ROUNDS, floors["GET"])
        results["list_queries_per_request"] = list_queries(data["user"], data["token"])
    # The last pairs of the spread list: their volunteers made no claim over HTTP.
    results["service_alone"] = service_alone(data["spread_pairs"][-1100:])  # type: ignore[index]
    ref_spread, ref_hot = reference(args.seconds)
    results["reference"] = {"spread_per_second": ref_spread, "hot_per_second": ref_hot}
    print(json.dumps(results, indent=2))
    print(f"\npgbench claim reference: {ref_spread:.0f}/s spread, {ref_hot:.0f}/s hot")
    goals = {
        "spread": ("claims/s spread over 1,000 shifts", 0.35, ref_spread),
        "hot": ("claims/s on one hot shift", 0.3, ref_hot),
        "list": ("list req/s at 100,000 shifts", 0.5, None),
    }
    for name, (what, goal, reference_rate) in goals.items():
        print(f"{what}, each round against the DRF+JWT floor measured just before it:")
        ratios = []
        taken_rounds: list[dict[str, Any]] = results[name]  # type: ignore[assignment]
        for n, taken in enumerate(taken_rounds, 1):
            run, floor = taken["run"], taken["floor"]
            ratio = run["per_second"] / floor["per_second"]
            p95_ratio = run["p95_ms"] / floor["p95_ms"]
            ratios.append((ratio, p95_ratio, run))
            versus = ""
            if reference_rate:
                versus = f", {run['per_second'] / reference_rate:.3f}x pgbench"
            print(
                f"  round {n}: {run['per_second']:.0f}/s, p50 {run['p50_ms']:.0f} ms, p95 "
                f"{run['p95_ms']:.0f} ms, p99 {run['p99_ms']:.0f} ms; floor "
                f"{floor['per_second']:.0f}/s, p95 {floor['p95_ms']:.0f} ms -> {ratio:.3f}x "
                f"the floor, p95 {p95_ratio:.1f}x the floor's{versus}"
            )
        ratio, p95_ratio, _ = sorted(ratios, key=lambda r: r[0])[len(ratios) // 2]
        print(f"  median round: {ratio:.3f}x the floor (goal {goal}x), p95 {p95_ratio:.1f}x")
    print(f"list: {results['list_queries_per_request']} queries per request (p95 goal: 3x)")
    alone = results["service_alone"]
    print(
        f"claim_create alone (in-process, no HTTP): {alone['cpu_ms_per_claim']} ms CPU and "  # type: ignore[index]
        f"{alone['wall_ms_per_claim']} ms per claim"  # type: ignore[index]
    )


if __name__ == "__main__":
    main()

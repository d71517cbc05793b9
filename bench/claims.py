"""Benchmark: claims per second and latency through the real server, against raw SQL.

Method
------
1. A fresh PostgreSQL database is migrated and seeded: one organisation, 21,000 volunteer
   members, 1,000 published shifts at distinct hours (capacity 500) and one hot shift.
2. The production web process is started as the Procfile does (scripts/serve.py: N Daphne
   processes sharing one socket; DEBUG off, a psycopg connection pool (DB_POOL), Redis channel
   layer so every claim also publishes its event) with N = WEB_CONCURRENCY (default: the number of
   cores, as the Procfile's web process).
3. wrk (50 connections, 2 threads, on this same machine) POSTs /api/v1/shifts/{id}/claim/
   with JWT bearer tokens, every request a distinct (volunteer, shift) pair:
   (a) spread: 6,000 volunteers each claim 10 of the 1,000 shifts;
   (b) hot: 15,000 other volunteers all claim the one hot shift (500 confirmed, then the
       waitlist: every request still takes the shift's row lock).
   Every answer must be 201; the database is checked afterwards (no shift over capacity,
   one claim row per successful request).
4. The floor, in the same run and on the same server (its settings add bench/floor/urls.py's
   do-nothing endpoints to the project's URLs): wrk POSTs and GETs /floor/drf-jwt/, a DRF view
   that authenticates the bearer token as the claim endpoint does and nothing else, with the
   same tokens and connections. Every figure is also printed as a ratio of it.
5. Reference, in the same run: pgbench with 50 clients runs the same conditional UPDATE of a
   seat counter plus the INSERT of a claim row, spread over 1,000 rows and on one hot row.
6. The domain service alone: ``claim_create`` called in the benchmark's own process for
   1,000 more claims, one after the other (no HTTP), with publishing to Redis: CPU and wall
   time per claim, the floor under what any web stack could add.
7. The open-shifts list at 100,000 shifts: GET /api/v1/shifts/?open=true for the same
   duration, three times, each time right after the GET floor (the ratio is per round; the
   median round is reported); p95 latency, and queries per request counted in-process on the
   same code.

Run: python bench/claims.py [--seconds 10] [--processes N]   (needs PostgreSQL, Redis, wrk)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    Server,
    fresh_database,
    machine,
    pgbench,
    production_env,
    run_wrk,
    server_arguments,
)

SPREAD_USERS = 6_000
HOT_USERS = 15_000
SHIFTS = 1_000
LIST_SHIFTS = 100_000
LIST_ROUNDS = 3
CLIENTS = 50
SECRET = "bench-only-secret-key-0123456789abcdef0123456789abcdef"


def setup_django(database_url: str, redis_url: str = "") -> None:
    os.environ.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY=SECRET,
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,testserver",
        JWT_ACCESS_MINUTES="120",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed() -> dict[str, object]:
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from backend.accounts.models import User, VolunteerProfile
    from backend.organisations.models import Membership, Organisation, Role
    from backend.shifts.models import Shift, ShiftStatus

    org = Organisation.objects.create(name="Bench", slug="bench")
    users = User.objects.bulk_create(
        [User(email=f"v{i}@bench.example", password="!") for i in range(SPREAD_USERS + HOT_USERS)],
        batch_size=2000,
    )
    VolunteerProfile.objects.bulk_create(
        [VolunteerProfile(user=u, display_name=f"V{u.pk}") for u in users], batch_size=2000
    )
    Membership.objects.bulk_create(
        [Membership(user=u, organisation=org, role=Role.VOLUNTEER) for u in users],
        batch_size=2000,
    )
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

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


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
        for method in ("POST", "GET"):
            pairs = Path(tmp) / f"floor-{method}.txt"
            pairs.write_text("".join(f"{method} /floor/drf-jwt/ {t}\n" for t in tokens))
            name = f"floor_{method.lower()}"
            results[name] = run_wrk(server.url, pairs, connections=CLIENTS, seconds=args.seconds)
            print(name, results[name], flush=True)
        for name in ("spread", "hot"):
            pairs = Path(tmp) / f"{name}.txt"
            pairs.write_text("\n".join(data[f"{name}_lines"]) + "\n")  # type: ignore[arg-type]
            results[name] = run_wrk(server.url, pairs, connections=CLIENTS, seconds=args.seconds)
            print(name, results[name], flush=True)
        results["database"] = check_database(0)
        add_list_shifts(data["org"])
        pairs = Path(tmp) / "list.txt"
        pairs.write_text(f"GET /api/v1/shifts/?open=true {data['token']}\n")
        floor_pairs = Path(tmp) / "floor-GET.txt"
        # The list and the GET floor take turns, LIST_ROUNDS times each, on the warm server:
        # on a machine whose speed drifts within minutes, each round's ratio compares like
        # with like, and the median round is reported.
        rounds = []
        for _ in range(LIST_ROUNDS):
            floor = run_wrk(server.url, floor_pairs, connections=CLIENTS, seconds=args.seconds)
            listed = run_wrk(server.url, pairs, connections=CLIENTS, seconds=args.seconds)
            rounds.append({"floor_get": floor, "list": listed})
            print("list round", listed["per_second"], "floor", floor["per_second"], flush=True)
        results["list_rounds"] = rounds
        results["list_queries_per_request"] = list_queries(data["user"], data["token"])
    # The last pairs of the spread list: their volunteers made no claim over HTTP.
    results["service_alone"] = service_alone(data["spread_pairs"][-1100:])  # type: ignore[index]
    ref_spread, ref_hot = reference(args.seconds)
    results["reference"] = {"spread_per_second": ref_spread, "hot_per_second": ref_hot}
    spread, hot = results["spread"], results["hot"]
    floor_post, floor_get = results["floor_post"], results["floor_get"]
    print(json.dumps(results, indent=2))
    floor_rate = floor_post["per_second"]  # type: ignore[index]
    print(
        f"\nfloor:  DRF+JWT do-nothing view {floor_rate:.0f} req/s POST "
        f"(p95 {floor_post['p95_ms']:.1f} ms), {floor_get['per_second']:.0f} req/s GET "  # type: ignore[index]
        f"(p95 {floor_get['p95_ms']:.1f} ms); pgbench claim reference {ref_spread:.0f}/s spread, "  # type: ignore[index]
        f"{ref_hot:.0f}/s hot"
    )
    print(
        f"spread: {spread['per_second']:.0f} claims/s, p50 {spread['p50_ms']:.1f} ms, "  # type: ignore[index]
        f"p99 {spread['p99_ms']:.1f} ms -> {spread['per_second'] / floor_rate:.3f}x floor "  # type: ignore[index]
        f"(goal 0.35x), {spread['per_second'] / ref_spread:.3f}x pgbench"  # type: ignore[index]
    )
    print(
        f"hot:    {hot['per_second']:.0f} claims/s, p50 {hot['p50_ms']:.1f} ms, "  # type: ignore[index]
        f"p99 {hot['p99_ms']:.1f} ms -> {hot['per_second'] / floor_rate:.3f}x floor "  # type: ignore[index]
        f"(goal 0.3x), {hot['per_second'] / ref_hot:.3f}x pgbench"  # type: ignore[index]
    )
    alone = results["service_alone"]
    print(
        f"claim_create alone (in-process, no HTTP): {alone['cpu_ms_per_claim']} ms CPU and "  # type: ignore[index]
        f"{alone['wall_ms_per_claim']} ms per claim"  # type: ignore[index]
    )
    print("list at 100,000 shifts, each round against the GET floor measured just before it:")
    ratios = []
    for n, round_ in enumerate(results["list_rounds"], 1):  # type: ignore[arg-type]
        listing, floor = round_["list"], round_["floor_get"]
        ratio = listing["per_second"] / floor["per_second"]
        p95_ratio = listing["p95_ms"] / floor["p95_ms"]
        ratios.append((ratio, p95_ratio))
        print(
            f"  round {n}: {listing['per_second']:.0f} req/s, p95 {listing['p95_ms']:.1f} ms; "
            f"floor {floor['per_second']:.0f} req/s, p95 {floor['p95_ms']:.1f} ms -> "
            f"{ratio:.3f}x, p95 {p95_ratio:.1f}x"
        )
    ratio, p95_ratio = sorted(ratios)[len(ratios) // 2]
    print(
        f"list:   median round {ratio:.3f}x the floor (goal 0.5x), p95 {p95_ratio:.1f}x the "
        f"floor's (goal at most 3x); {results['list_queries_per_request']} queries per request"
    )


if __name__ == "__main__":
    main()

"""Benchmark: what the web stack itself costs per request, before any claim logic.

The claims benchmark (bench/claims.py) compares the claim endpoint with the raw SQL of a
claim. This one measures, on the same machine and with the same production server (the
Procfile's scripts/serve.py: N Daphne processes, DB_POOL, Redis), endpoints that do nothing:

- ``raw ASGI``: an ASGI application that answers at once (bench/floor/raw_asgi.py): Daphne.
- ``django``: a plain Django view through the project's ASGI application and middleware.
- ``drf``: a DRF APIView without authentication (DRF request handling, JSON rendering).
- ``drf+jwt``: a DRF APIView that authenticates the bearer token as the claim endpoint does
  (JWT check and one query for the user), and nothing else.

Method: wrk, 50 connections, 2 threads, POST with a bearer token, for --seconds each; the
reference is the same pgbench claim transaction as in bench/claims.py (spread over 1,000
rows), so every figure is also a ratio of that reference.

Run: python bench/floor.py [--seconds 10] [--processes N]   (needs PostgreSQL, Redis, wrk)
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from claims import CLIENTS, SECRET, reference
from common import Server, fresh_database, machine, production_env, run_wrk, server_arguments

TARGETS = [
    ("raw ASGI", "bench.floor.raw_asgi:application", "/"),
    ("django", "backend.config.asgi:application", "/floor/django/"),
    ("drf", "backend.config.asgi:application", "/floor/drf/"),
    ("drf+jwt", "backend.config.asgi:application", "/floor/drf-jwt/"),
]


def tokens(database_url: str) -> list[str]:
    os.environ.update(
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET,
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        JWT_ACCESS_MINUTES="120",
        DJANGO_SETTINGS_MODULE="bench.floor.settings",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import AccessToken

    from backend.accounts.models import User

    call_command("migrate", verbosity=0)
    users = User.objects.bulk_create(
        [User(email=f"f{i}@bench.example", password="!") for i in range(CLIENTS * 4)]
    )
    return [str(AccessToken.for_user(u)) for u in users]


def main() -> None:
    args = server_arguments().parse_args()
    database_url = fresh_database("inzet_bench_floor")
    bearer = tokens(database_url)
    env = production_env(database_url, args.redis_url, args.processes)
    results: dict[str, object] = {"machine": machine(), "processes": args.processes}
    with tempfile.TemporaryDirectory() as tmp:
        for name, app, path in TARGETS:
            pairs = Path(tmp) / "pairs.txt"
            pairs.write_text("".join(f"POST {path} {token}\n" for token in bearer))
            with Server(env, args.processes, app=app) as server:
                results[name] = run_wrk(
                    server.url, pairs, connections=CLIENTS, seconds=args.seconds
                )
            print(name, results[name], flush=True)
    ref_spread, _ = reference(args.seconds)
    results["reference_spread_per_second"] = ref_spread
    print(json.dumps(results, indent=2))
    print(f"\nreference (pgbench claim transaction, spread): {ref_spread:.0f}/s")
    for name, _, _ in TARGETS:
        r = results[name]
        print(
            f"{name:9} {r['per_second']:7.0f} req/s = {r['per_second'] / ref_spread:.3f}x, "  # type: ignore[index]
            f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, non-2xx {r['non_2xx']}"  # type: ignore[index]
        )


if __name__ == "__main__":
    main()

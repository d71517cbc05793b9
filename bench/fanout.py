"""Fan-out latency: from a claim's commit to its receipt on N connected board websockets.

Method (everything on this machine):
- a private redis-server (no persistence) is the channel layer; a fresh PostgreSQL database;
- the web process as deployed: scripts/serve.py with WEB_CONCURRENCY Daphne processes
  (default: the number of cores), DB_POOL=true, as the README recommends;
- N board clients (``websockets``, one asyncio process) log in with a JWT and wait for their
  snapshot; they are spread over the Daphne processes by the kernel;
- a separate OS process makes E claims through the domain service ``claim_create``, one
  every ``--interval`` seconds, filling shifts of ``--shift-size`` seats in turn (each
  event carries the shift's row with its volunteers' names, so the size matters), and
  notes the time right after each commit (an on_commit hook registered before the
  service's own publishing hook);
- each client notes the time a claim's event arrives; latency = arrival - commit, over all
  N x E pairs; "lost" counts pairs that never arrived within 5 s after the last claim.
- Reference in the same run, before the websocket phase: raw Redis pub/sub to N asyncio
  subscribers (redis.asyncio, one connection each) in the same client process; latency =
  arrival - publish time, E messages of ~900 bytes at the same interval.
- The claiming process also reports how long its committing thread spent after the commit:
  it only queues the event for the process's publishing thread (realtime/events.py), so
  ``publish_p50_ms`` is near zero; numbering, reading and sending are in the latency.

    SECRET_KEY=x .venv/bin/python bench/fanout.py --clients 100 1000 --events 100
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from common import Server, free_port, fresh_database, machine  # noqa: E402

REDIS_OPTIONS = ["--save", "", "--appendonly", "no", "--maxclients", "10000"]
CONNECT_CONCURRENCY = 50
STRAGGLER_SECONDS = 5.0


# --- helpers -------------------------------------------------------------------------------


@contextlib.contextmanager
def private_redis() -> Iterator[str]:
    port = free_port()
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is needed")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", *REDIS_OPTIONS],
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.3)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(name: str, n: int, latencies: list[float], expected: int) -> dict[str, Any]:
    ms = [v * 1000 for v in latencies]
    return {
        "what": name,
        "clients": n,
        "received": len(ms),
        "lost": expected - len(ms),
        "p50_ms": round(statistics.median(ms), 1) if ms else None,
        "p99_ms": round(percentile(ms, 0.99), 1) if ms else None,
        "max_ms": round(max(ms), 1) if ms else None,
    }


# --- the claim process ---------------------------------------------------------------------


def claim_worker(claims: list[tuple[int, int]], interval: float) -> None:
    """Runs in its own process: make the claims, print (claim id, commit time) per claim."""
    import django

    django.setup()
    from django.db import transaction

    from backend.accounts.models import User
    from backend.shifts.services import claim_create

    volunteers = {u.pk: u for u in User.objects.filter(pk__in=[v for v, _ in claims])}
    for volunteer_id, shift_id in claims:
        committed: list[float] = []
        with transaction.atomic():
            transaction.on_commit(lambda done=committed: done.append(time.time()))
            result = claim_create(volunteer=volunteers[volunteer_id], shift_id=shift_id)
        published = time.time()  # every on_commit hook, so the publishing, has run
        print(
            json.dumps({"claim": result.claim.pk, "t0": committed[0], "t1": published}),
            flush=True,
        )
        time.sleep(interval)


# --- the clients ---------------------------------------------------------------------------


async def raw_pubsub(redis_url: str, n: int, events: int, interval: float) -> dict[str, Any]:
    import redis.asyncio as aioredis

    latencies: list[float] = []
    all_in = asyncio.Event()
    clients = [aioredis.Redis.from_url(redis_url) for _ in range(n)]
    pubsubs = [client.pubsub() for client in clients]
    for pubsub in pubsubs:
        await pubsub.subscribe("bench.fanout")

    async def listen(pubsub: Any) -> None:
        async for message in pubsub.listen():
            if message["type"] == "message":
                arrived = time.time()
                latencies.append(arrived - json.loads(message["data"])["t0"])
                if len(latencies) == n * events:
                    all_in.set()

    tasks = [asyncio.create_task(listen(p)) for p in pubsubs]
    publisher = aioredis.Redis.from_url(redis_url)
    for _ in range(events):
        await publisher.publish("bench.fanout", json.dumps({"t0": time.time(), "pad": "x" * 900}))
        await asyncio.sleep(interval)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_in.wait(), STRAGGLER_SECONDS)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for pubsub, client in zip(pubsubs, clients, strict=True):
        await pubsub.aclose()
        await client.aclose()
    await publisher.aclose()
    return summary("raw Redis pub/sub", n, latencies, n * events)


async def boards(
    *,
    ws_url: str,
    token: str,
    n: int,
    claims: list[tuple[int, int]],
    interval: float,
    env: dict[str, str],
) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    arrivals: dict[int, list[float]] = defaultdict(list)
    received = 0
    all_in = asyncio.Event()
    ready = asyncio.Semaphore(CONNECT_CONCURRENCY)
    sockets: list[Any] = []

    async def open_one() -> Any:
        async with ready:
            ws = await connect(
                ws_url,
                subprotocols=["inzet.v1", f"bearer.{token}"],
                open_timeout=30,  # type: ignore[list-item]
            )
            first = json.loads(await ws.recv())
            assert first["type"] == "snapshot", first
            return ws

    async def listen(ws: Any) -> None:
        nonlocal received
        async for raw in ws:
            arrived = time.time()
            message = json.loads(raw)
            if message["type"] == "event" and "claim" in message:
                arrivals[message["claim"]["id"]].append(arrived)
                received += 1
                if received == n * len(claims):
                    all_in.set()

    sockets = await asyncio.gather(*(open_one() for _ in range(n)))
    tasks = [asyncio.create_task(listen(ws)) for ws in sockets]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--claim-worker",
        json.dumps({"claims": claims, "interval": interval}),
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    commits: dict[int, float] = {}
    publish_ms: list[float] = []
    assert proc.stdout is not None
    async for line in proc.stdout:
        record = json.loads(line)
        commits[record["claim"]] = record["t0"]
        publish_ms.append((record["t1"] - record["t0"]) * 1000)
    await proc.wait()
    expected = n * len(commits)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_in.wait(), STRAGGLER_SECONDS)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    latencies = [t - commits[c] for c in commits for t in arrivals[c]]
    short = {c: n - len(arrivals[c]) for c in commits if len(arrivals[c]) < n}
    if short:
        print(f"claims that did not reach every board (claim: boards missed): {short}")
    result = summary("board websockets (claim commit -> receipt)", n, latencies, expected)
    # Time the committing thread spends after commit: it only queues the event (realtime/events.py).
    result["publish_p50_ms"] = round(statistics.median(publish_ms), 1)
    result["publish_max_ms"] = round(max(publish_ms), 1)
    return result


# --- setup ---------------------------------------------------------------------------------


def prepare(
    total_claims_per_run: int, runs: int, shift_size: int
) -> tuple[int, str, list[list[tuple[int, int]]]]:
    """Migrate; create an organisation, a coordinator, and per run shifts of ``shift_size``
    seats with one new volunteer per claim. Returns the (volunteer, shift) pairs per run."""
    import datetime as dt

    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from backend.accounts.models import User, VolunteerProfile
    from backend.organisations.models import Membership, Organisation, Role
    from backend.shifts.models import Shift, ShiftStatus

    call_command("migrate", verbosity=0)
    organisation = Organisation.objects.create(name="Bench", slug=f"bench-{os.getpid()}")
    coordinator = User.objects.create_user("coordinator@bench.example", "x")
    VolunteerProfile.objects.create(user=coordinator, display_name="Coordinator")
    Membership.objects.create(user=coordinator, organisation=organisation, role=Role.COORDINATOR)
    starts = timezone.now() + dt.timedelta(days=1)
    runs_claims: list[list[tuple[int, int]]] = []
    for run in range(runs):
        pairs: list[tuple[int, int]] = []
        for i in range(total_claims_per_run):
            if i % shift_size == 0:
                at = starts + dt.timedelta(hours=3 * run, minutes=i)
                shift = Shift.objects.create(
                    organisation=organisation,
                    title=f"Bench {run}-{i // shift_size}",
                    address="Kerkstraat 1",
                    starts_at=at,
                    ends_at=at + dt.timedelta(hours=2),
                    capacity=shift_size,
                    status=ShiftStatus.PUBLISHED,
                )
            user = User.objects.create_user(f"v{run}-{i}@bench.example", None)
            VolunteerProfile.objects.create(user=user, display_name=f"Vrijwilliger {run}-{i}")
            Membership.objects.create(user=user, organisation=organisation)
            pairs.append((user.pk, shift.pk))
        runs_claims.append(pairs)
    token = str(AccessToken.for_user(coordinator))
    return organisation.pk, token, runs_claims


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.2)
    parser.add_argument(
        "--shift-size", type=int, default=10, help="seats per shift; claims fill shifts in turn"
    )
    parser.add_argument(
        "--processes", type=int, default=int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count())
    )
    parser.add_argument("--database", default="helper_rt_bench")
    parser.add_argument("--claim-worker", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.claim_worker:
        spec = json.loads(args.claim_worker)
        claim_worker([(v, sh) for v, sh in spec["claims"]], spec["interval"])
        return

    with private_redis() as redis_url:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "backend.config.settings",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-secret-key",
            "DATABASE_URL": fresh_database(args.database),
            "REDIS_URL": redis_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DB_POOL": "true",
            "LOG_LEVEL": "WARNING",
            "WEB_CONCURRENCY": str(args.processes),
            "PYTHONPATH": str(ROOT),
        }
        os.environ.update(env)
        organisation_id, token, runs_claims = prepare(
            args.events, len(args.clients), args.shift_size
        )
        results = []
        with Server(env, args.processes) as server:
            ws_url = (
                server.url.replace("http://", "ws://")
                + f"/ws/v1/organisations/{organisation_id}/board/"
            )
            for run, n in enumerate(args.clients):
                results.append(asyncio.run(raw_pubsub(redis_url, n, args.events, args.interval)))
                results.append(
                    asyncio.run(
                        boards(
                            ws_url=ws_url,
                            token=token,
                            n=n,
                            claims=runs_claims[run],
                            interval=args.interval,
                            env=env,
                        )
                    )
                )
                print(json.dumps(results[-2]), flush=True)
                print(json.dumps(results[-1]), flush=True)

    print(
        f"\nMachine: {machine()}; Daphne processes: {args.processes}; events per run: "
        f"{args.events}, one every {args.interval}s; shifts of {args.shift_size} seats"
    )
    print(f"{'what':45} {'N':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'lost':>6}")
    for r in results:
        print(
            f"{r['what']:45} {r['clients']:>5} {r['p50_ms']!s:>8} {r['p99_ms']!s:>8} "
            f"{r['max_ms']!s:>8} {r['lost']:>6}"
        )


if __name__ == "__main__":
    main()

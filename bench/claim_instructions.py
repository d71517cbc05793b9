"""Benchmark: machine instructions per ``claim_create``, counted by callgrind (issue 10).

Why instructions: ``time.process_time`` per claim swings 10 % to 42 % from one run to the next
on a shared 2-core machine (BENCHMARKS.md, 2026-12-01 night). Valgrind's callgrind counts the
instructions the process executes (Ir), which do not depend on what else the machine does,
so the code before and after a change can be compared in runs hours apart.

Method
------
1. A template database is migrated and seeded by ``--code``'s models, natively: one
   organisation, ``--volunteers`` volunteer members with their profiles, 100 published shifts
   at distinct hours (capacity 500, so every claim is confirmed: the common path).
2. Each run copies the template into a fresh database (the same rows every run), empties
   Redis database ``--redis-url`` (the events' sequence numbers) and starts one Python
   process under ``valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes``.
   It sets Django up with the README's production settings that matter in one process
   (``DEBUG=false``, ``DB_POOL=true``, ``REDIS_URL``: the Redis channel layer, so every claim
   also publishes its event), then claims ``--warmup`` seats (connections, the pool, the
   compiled claim read, the interpreter's specialised code) and waits for their events.
3. Measured section: callgrind's client requests ``CALLGRIND_START_INSTRUMENTATION`` and
   ``CALLGRIND_ZERO_STATS`` (called through ctypes from a small C shim compiled on first
   use with gcc and ``<valgrind/callgrind.h>``), then ``claim_create`` for ``--claims`` other
   volunteers, one after the other, ``flush_events()`` (every event of these claims
   published), then ``CALLGRIND_DUMP_STATS_AT`` and ``CALLGRIND_STOP_INSTRUMENTATION``.
   Start-up, migrations, seeding and warm-up are not instrumented at all, so nothing has to
   be subtracted. Instrumentation is process-wide: every thread's instructions count, the
   publishing thread's (Redis sequence numbers, the board rows it reads from PostgreSQL)
   and its event loop's (the group sends), as ``process_time`` counted them. With
   ``--separate-threads=yes`` each thread has its own counts; the main thread, which runs
   ``claim_create`` itself, is reported apart.
4. ``--publish each`` (the default) waits for each claim's event before the next claim, so
   every event is published alone, as it is when claims come one at a time (without
   valgrind this loop makes batches of 1.0 to 1.1 events anyway). ``--publish batched``
   waits only at the end, as bench/claims.py's in-process step: the publishing thread then
   batches as the threads happen to interleave, and under valgrind, which runs one thread
   at a time, it falls behind and batches several events, so its share per claim depends on
   scheduling (the batches are counted and printed).
5. Not counted: PostgreSQL's and Redis's own work (other processes; callgrind follows one
   process), and the kernel's (system calls count as the user-space instructions around
   them). Instructions are not time: a cache miss or a syscall costs many per instruction.
6. ``--cpu``: the same workload without valgrind, CPU time (``time.process_time``) and wall
   time per claim, for reference. ``--cprofile``: cProfile over the measured section,
   natively, the top functions by cumulative time. ``--whole``: callgrind over the whole
   process instead (no client requests); two runs with ``--claims M`` and ``2M`` give
   instructions per claim as their difference divided by M, a check of the method.

Run:
  python bench/claim_instructions.py [--code DIR] [--claims 300] [--runs 3]
      [--publish each|batched] [--without-pool] [--cpu] [--cprofile] [--whole]
``--code`` is the tree whose ``backend/`` is measured (default: this repository), e.g. a git
worktree of an older commit; this script and bench/common.py come from this repository.
Needs PostgreSQL, Redis, valgrind and gcc.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import gc
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

SHIFTS = 100

SHIM_SOURCE = """
#include <valgrind/callgrind.h>
void inzet_measure_start(void) { CALLGRIND_START_INSTRUMENTATION; CALLGRIND_ZERO_STATS; }
void inzet_measure_stop(void) {
    CALLGRIND_DUMP_STATS_AT("inzet measured claims");
    CALLGRIND_STOP_INSTRUMENTATION;
}
"""


def shim_path() -> Path:
    """The C shim for callgrind's client requests, compiled once per source text."""
    digest = hashlib.sha256(SHIM_SOURCE.encode()).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"inzet-callgrind-shim-{digest}.so"
    if not path.exists():
        if shutil.which("gcc") is None or not Path("/usr/include/valgrind/callgrind.h").exists():
            raise SystemExit("gcc and valgrind's headers are needed: apt-get install gcc valgrind")
        source = path.with_suffix(".c")
        source.write_text(SHIM_SOURCE)
        partial = path.with_suffix(f".{os.getpid()}.so")
        subprocess.run(
            ["gcc", "-O1", "-shared", "-fPIC", "-o", str(partial), str(source)], check=True
        )
        partial.rename(path)
    return path


# --- In the child process: the code under test -------------------------------------------


def child_setup(options: dict[str, Any]) -> None:
    from common import setup_django

    setup_django(
        options["database_url"],
        options["redis_url"],
        DB_POOL="false" if options.get("without_pool") else "true",
        LOG_LEVEL="WARNING",
    )
    import backend

    # The measured code must be --code's, not this repository's (the venv's editable install
    # maps `backend` to it too; sys.path comes first).
    assert Path(backend.__file__).resolve().is_relative_to(Path(options["code"]).resolve()), (
        backend.__file__
    )


def child_seed(volunteers: int) -> None:
    from common import seed_members
    from django.utils import timezone

    from backend.shifts.models import Shift, ShiftStatus

    org, _ = seed_members(volunteers)
    start = (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    Shift.objects.bulk_create(
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
            for i in range(SHIFTS)
        ]
    )


def measured_claims(
    claim_create: Any, pairs: list[tuple[Any, int]], after_each: Any = None
) -> None:
    for volunteer, shift_id in pairs:
        claim_create(volunteer=volunteer, shift_id=shift_id)
        if after_each is not None:
            after_each()


def count_batches(batches: list[int]) -> None:
    """Record the size of each batch the publishing thread sends (a few hundred instructions
    a batch, against millions for the batch itself)."""
    from realtime import events

    deliver = events._deliver

    def counted(layer: Any, items: list[Any], *args: Any, **kwargs: Any) -> Any:
        batches.append(len(items))
        return deliver(layer, items, *args, **kwargs)

    events._deliver = counted  # type: ignore[assignment]


def profile_publishing() -> dict[str, Any]:
    """cProfile objects for the calling thread and for the publishing thread's work (each
    batch's ``_deliver`` and the connection's return to the pool after it), and "stop", which
    takes the profiling of the publishing thread out again. A profile is per thread."""
    import cProfile

    from realtime import events

    publishing = cProfile.Profile(time.thread_time)
    deliver, real_connection = events._deliver, events.connection

    def profiled_deliver(*args: Any, **kwargs: Any) -> Any:
        publishing.enable()
        try:
            return deliver(*args, **kwargs)
        finally:
            publishing.disable()

    class ProfiledConnection:
        def __getattr__(self, name: str) -> Any:
            return getattr(real_connection, name)

        def close(self) -> None:
            publishing.enable()
            try:
                real_connection.close()
            finally:
                publishing.disable()

    def stop() -> None:
        events._deliver, events.connection = deliver, real_connection  # type: ignore[assignment]

    events._deliver = profiled_deliver  # type: ignore[assignment]
    events.connection = ProfiledConnection()  # type: ignore[assignment]
    return {
        "calling thread": cProfile.Profile(time.thread_time),
        "publishing thread": publishing,
        "stop": stop,
    }


def child_measure(options: dict[str, Any]) -> dict[str, Any]:
    from backend.accounts.models import User
    from backend.shifts.models import Claim, Shift
    from backend.shifts.services import claim_create
    from realtime.events import flush_events

    warmup, claims = options["warmup"], options["claims"]
    users = list(User.objects.order_by("pk")[: warmup + claims])
    shift_ids = list(Shift.objects.order_by("pk").values_list("pk", flat=True))
    if len(users) < warmup + claims:
        raise SystemExit(f"only {len(users)} volunteers: raise --volunteers")
    pairs = [(user, shift_ids[n % len(shift_ids)]) for n, user in enumerate(users)]
    # "each": every event is published (a batch of one) before the next claim, so the
    # publishing thread's share does not depend on how the threads happened to interleave.
    after_each = flush_events if options["publish"] == "each" else None
    measured_claims(claim_create, pairs[:warmup], after_each)
    assert flush_events()
    shim = None if options["mode"] != "callgrind" else ctypes.CDLL(options["shim"])
    profiles: dict[str, Any] = {}
    batches: list[int] = []
    if options["mode"] == "cprofile":
        profiles = profile_publishing()
    else:
        count_batches(batches)
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    if shim is not None:
        shim.inzet_measure_start()
    if profiles:
        profiles["calling thread"].enable()
    measured_claims(claim_create, pairs[warmup:], after_each)
    flushed = flush_events()
    if profiles:
        profiles["calling thread"].disable()
        profiles.pop("stop")()
    if shim is not None:
        shim.inzet_measure_stop()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert flushed, "events still queued after the measured claims"
    made = Claim.objects.filter(status="confirmed").count()
    assert made == warmup + claims, f"{made} confirmed claims, expected {warmup + claims}"
    result: dict[str, Any] = {
        "claims": claims,
        "batches": len(batches),
        "events_per_batch": round(sum(batches) / len(batches), 2) if batches else None,
        "cpu_ms_per_claim": round(cpu * 1000 / claims, 3),
        "wall_ms_per_claim": round(wall * 1000 / claims, 3),
    }
    if profiles:
        import io
        import pstats

        out = io.StringIO()
        for name, profile in profiles.items():
            print(f"===== cProfile, {name} =====", file=out)
            stats = pstats.Stats(profile, stream=out)
            stats.sort_stats("cumulative").print_stats(50)
            stats.sort_stats("tottime").print_stats(25)
        result["profile"] = out.getvalue()
    return result


def child_main(role: str, options: dict[str, Any]) -> None:
    child_setup(options)
    if role == "seed":
        child_seed(options["volunteers"])
        return
    result = child_measure(options)
    Path(options["result_file"]).write_text(json.dumps(result))


# --- In the driver -------------------------------------------------------------------------


def admin_execute(*statements: str) -> None:
    import psycopg
    from common import PG_ADMIN_URL

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


def child_command(role: str, options: dict[str, Any]) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--child", role, json.dumps(options)]


def child_env(code: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(code))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def prepare_template(args: argparse.Namespace, code: Path) -> str:
    from common import PG_BASE_URL

    template = f"{args.database}_template"
    admin_execute(
        f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)', f'CREATE DATABASE "{template}"'
    )
    options = {
        "code": str(code),
        "database_url": f"{PG_BASE_URL}/{template}",
        "redis_url": args.redis_url,
        "volunteers": args.volunteers,
    }
    subprocess.run(child_command("seed", options), env=child_env(code), check=True)
    return template


def fresh_copy(template: str, name: str) -> str:
    from common import PG_BASE_URL

    admin_execute(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}" TEMPLATE "{template}"',
    )
    return f"{PG_BASE_URL}/{name}"


def empty_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def callgrind_parts(directory: Path) -> list[dict[str, Any]]:
    """Each dump file's thread, trigger and total Ir."""
    parts = []
    for path in sorted(directory.glob("callgrind.out*")):
        text = path.read_text(errors="replace")
        thread = re.search(r"^thread: (\d+)", text, re.M)
        trigger = re.search(r"^desc: Trigger: (.*)$", text, re.M)
        totals = re.search(r"^totals: (\d+)", text, re.M)
        parts.append(
            {
                "file": path.name,
                "thread": int(thread.group(1)) if thread else 1,
                "trigger": trigger.group(1) if trigger else "",
                "ir": int(totals.group(1)) if totals else 0,
            }
        )
    return parts


def run_once(args: argparse.Namespace, code: Path, template: str, mode: str) -> dict[str, Any]:
    database_url = fresh_copy(template, f"{args.database}_run")
    empty_redis(args.redis_url)
    with tempfile.TemporaryDirectory(prefix="inzet-callgrind-") as tmp:
        options = {
            "code": str(code),
            "database_url": database_url,
            "redis_url": args.redis_url,
            "warmup": args.warmup,
            "claims": args.claims,
            "mode": mode,
            "publish": args.publish,
            "without_pool": args.without_pool,
            "shim": str(shim_path()) if mode == "callgrind" else "",
            "result_file": str(Path(tmp) / "result.json"),
        }
        command = child_command("measure", options)
        if mode in ("callgrind", "whole"):
            command = [
                "valgrind",
                "--tool=callgrind",
                f"--instr-atstart={'no' if mode == 'callgrind' else 'yes'}",
                "--separate-threads=yes",
                f"--callgrind-out-file={tmp}/callgrind.out",
                *args.valgrind_arg,
                *command,
            ]
        started = time.monotonic()
        log = subprocess.run(command, env=child_env(code), capture_output=True, text=True)
        if log.returncode != 0:
            print(log.stdout, log.stderr, sep="\n", file=sys.stderr)
            raise SystemExit(f"the measuring process failed ({log.returncode})")
        result: dict[str, Any] = json.loads(Path(options["result_file"]).read_text())
        result["seconds"] = round(time.monotonic() - started)
        if mode in ("callgrind", "whole"):
            parts = callgrind_parts(Path(tmp))
            if mode == "callgrind":
                # The client request's dump holds only the thread that asked (the main
                # one); the other threads' instructions of the section are in their dumps at
                # exit. Nothing outside the section was instrumented, so all files sum to it.
                assert any("inzet measured claims" in p["trigger"] for p in parts), (
                    "no dump of the measured section: did the client requests run?"
                )
            total = sum(p["ir"] for p in parts)
            main = sum(p["ir"] for p in parts if p["thread"] == 1)
            result["ir_total"] = total
            result["ir_main_thread"] = main
            result["ir_per_claim"] = round(total / args.claims)
            result["ir_per_claim_main_thread"] = round(main / args.claims)
            result["ir_per_claim_other_threads"] = round((total - main) / args.claims)
            threads: dict[int, int] = {}
            for part in parts:
                threads[part["thread"]] = threads.get(part["thread"], 0) + part["ir"]
            result["threads"] = threads
            if args.keep:
                keep = Path(args.keep)
                keep.mkdir(parents=True, exist_ok=True)
                for path in Path(tmp).glob("callgrind.out*"):
                    shutil.copy(path, keep / path.name)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--code", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--claims", type=int, default=300, help="measured claims per run")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--volunteers", type=int, default=2_100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", default="inzet_bench_instructions")
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    )
    parser.add_argument(
        "--publish",
        choices=["each", "batched"],
        default="each",
        help="wait for each claim's event before the next claim, or only at the end",
    )
    parser.add_argument(
        "--without-pool",
        action="store_true",
        help="DB_POOL=false, as bench/claims.py's in-process step (a connection per batch)",
    )
    parser.add_argument("--cpu", action="store_true", help="also one run without valgrind")
    parser.add_argument("--cprofile", action="store_true", help="only cProfile, natively")
    parser.add_argument("--whole", action="store_true", help="callgrind over the whole process")
    parser.add_argument("--keep", help="copy callgrind's files into this directory")
    parser.add_argument("--valgrind-arg", action="append", default=[])
    args = parser.parse_args()
    code = Path(args.code).resolve()
    commit = subprocess.run(
        ["git", "-C", str(code), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(code), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    from common import machine

    print(f"code: {code} at {commit}{' (with uncommitted changes)' if dirty else ''}")
    print(
        f"machine: {machine()}; {args.warmup} warm-up claims, {args.claims} measured, "
        f"events published {args.publish}, DB_POOL={'false' if args.without_pool else 'true'}"
    )
    template = prepare_template(args, code)
    if args.cprofile:
        print(run_once(args, code, template, "cprofile")["profile"])
        return
    results = []
    mode = "whole" if args.whole else "callgrind"
    for n in range(1, args.runs + 1):
        result = run_once(args, code, template, mode)
        results.append(result)
        print(f"run {n}: {json.dumps(result)}", flush=True)
    for key in ("ir_per_claim", "ir_per_claim_main_thread", "ir_per_claim_other_threads"):
        values = [r[key] for r in results]
        if not values or args.whole:
            # --whole: start-up is in every figure; the difference of two runs is the measure.
            break
        spread = (max(values) - min(values)) / statistics.median(values) * 100
        print(
            f"{key}: median {statistics.median(values):,.0f} "
            f"(runs: {', '.join(f'{v:,}' for v in values)}; spread {spread:.2f} %)"
        )
    if args.cpu:
        cpu = run_once(args, code, template, "cpu")
        print(f"without valgrind: {json.dumps(cpu)}")
    admin_execute(
        f'DROP DATABASE IF EXISTS "{args.database}_run" WITH (FORCE)',
        f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)',
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child_main(sys.argv[2], json.loads(sys.argv[3]))
    else:
        main()

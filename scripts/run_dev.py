"""Start Inzet's processes for development (``make run``), prefix their output, stop them all.

Like foreman/honcho with a Procfile: each process's output is printed with its name in
front; when one stops, or on Ctrl-C / SIGTERM, all of them are stopped.

The processes are the ones of the Procfile: the web process always; the bot when
TELEGRAM_BOT_TOKEN and REDIS_URL are set; the notification worker always.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from supervise import stop_all, wait_for_first_exit

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 6


@dataclass(frozen=True)
class Process:
    name: str
    command: list[str]


def processes(args: argparse.Namespace) -> list[Process]:
    python = sys.executable
    found = [
        Process(
            "web",
            [
                python,
                str(ROOT / "scripts" / "serve.py"),
                "--host",
                args.host,
                "--port",
                str(args.port),
                "--processes",
                str(args.web_processes),
            ],
        )
    ]
    # The notification worker: plans reminders always; sends them when the bot has a token
    # (without one, messages wait). Runs on SQLite and without Redis too.
    found.append(Process("worker", [python, str(ROOT / "manage.py"), "run_worker"]))
    if os.environ.get("TELEGRAM_BOT_TOKEN") and os.environ.get("REDIS_URL"):
        found.append(Process("bot", [python, "-m", "bots"]))
        say("bot is on (polling)")
    elif os.environ.get("TELEGRAM_BOT_TOKEN"):
        # A bot in its own process reaches the boards of the web process only through Redis;
        # without it, bot claims would silently never show up live.
        say("bot is off: it needs REDIS_URL too, so its claims reach the live board")
    else:
        say("bot is off: TELEGRAM_BOT_TOKEN not set")
    return found


def say(message: str) -> None:
    print(f"{'run':<{WIDTH}} | {message}", flush=True)


def pump(name: str, stream: IO[str]) -> None:
    for line in stream:
        sys.stdout.write(f"{name:<{WIDTH}} | {line}")
        sys.stdout.flush()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--web-processes", type=int, default=int(os.environ.get("WEB_CONCURRENCY") or 1)
    )
    args = parser.parse_args(argv)

    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    # The links the bot and the mails give (the bot's calendar link needs it: it has no
    # request to take the address from) point at this server unless PUBLIC_URL says otherwise.
    env["PUBLIC_URL"] = env.get("PUBLIC_URL") or f"http://{args.host}:{args.port}"
    running: dict[str, subprocess.Popen[str]] = {}
    pumps: list[threading.Thread] = []
    for process in processes(args):
        child = subprocess.Popen(
            process.command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        running[process.name] = child
        thread = threading.Thread(target=pump, args=(process.name, child.stdout), daemon=True)
        thread.start()
        pumps.append(thread)
        say(f"started {process.name} (pid {child.pid})")
    say(f"Inzet starts on http://{args.host}:{args.port}/ (Ctrl-C stops it)")

    exited = wait_for_first_exit(running)
    status = 0
    if exited is not None:
        name, status = exited
        say(f"{name} exited with {status}; stopping the others")
        status = status or 1
    stop_all(running, on_kill=lambda name: say(f"{name} did not stop in time; killing it"))
    for thread in pumps:
        thread.join(timeout=1)
    say("stopped")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

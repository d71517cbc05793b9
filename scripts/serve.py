"""Serve Inzet with several Daphne processes on one port (the Procfile's ``web:``).

A Python process uses one core at most (the GIL: Django's ASGI handler runs each request's
sync code in a thread, but those threads share it), and so does one Daphne process.
This script opens one listening socket per Daphne process, all on the same port with
SO_REUSEPORT, and starts ``--processes`` Daphne processes that each adopt theirs (Daphne's
``--fd``, Twisted's ``fd:`` endpoint); the kernel spreads new connections over the sockets.
(With one shared socket, the process that happened to be idle when a client opened its
keep-alive connections accepted all of them, and the other cores stayed idle for as long as
those connections lived.) This is the pre-fork model Daphne's own documentation suggests with
a process manager such as circus, without the extra dependency.

If one Daphne process dies, all are stopped and the script exits with its status, so that
the platform (or systemd) restarts the whole web process rather than run with fewer.

    python scripts/serve.py --host 0.0.0.0 --port 8000 --processes 4 -- --proxy-headers
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys

from supervise import stop_all, wait_for_first_exit

DEFAULT_APP = "backend.config.asgi:application"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument(
        "--processes",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1),
        help="Daphne processes (default: $WEB_CONCURRENCY, else the number of CPUs)",
    )
    parser.add_argument("--app", default=DEFAULT_APP, help="ASGI application to serve")
    parser.add_argument("daphne_args", nargs="*", help="passed to daphne, after --")
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    return args


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    # IPv4 only: Twisted's fd: endpoint takes its address family as a string it never
    # converts, so only its default (AF_INET) works. Put a proxy in front for IPv6.
    # SO_REUSEPORT would also let a second serve.py share a port that is in use (and take half
    # of its connections): make sure nothing listens there first, as a plain bind would.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            sock.listen(1024)
            sock.set_inheritable(True)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        sockets = listening_sockets(args.host, args.port, args.processes)
    except OSError as exc:
        print(f"serve: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1

    def command(sock: socket.socket) -> list[str]:
        return [
            sys.executable,
            "-m",
            # Daphne's own command line, with the secrets in URLs (calendar feeds, ?token=)
            # kept out of its access log.
            "backend.config.daphne_cli",
            "--fd",
            str(sock.fileno()),
            *args.daphne_args,
            args.app,
        ]

    children = {
        f"daphne-{n}": subprocess.Popen(command(sock), pass_fds=(sock.fileno(),), text=True)
        for n, sock in enumerate(sockets, 1)
    }
    # The children hold their own copies of the sockets; ours would only keep the port open
    # after they are gone.
    for sock in sockets:
        sock.close()
    pids = ", ".join(str(child.pid) for child in children.values())
    print(
        f"serve: {args.processes} daphne process(es) on http://{args.host}:{args.port} "
        f"(pids {pids})",
        flush=True,
    )
    exited = wait_for_first_exit(children)
    status = 0
    if exited is not None:
        name, status = exited
        print(f"serve: {name} exited with {status}; stopping the others", flush=True)
        status = status or 1
    stop_all(children)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Shared by serve.py and run_dev.py: watch child processes, stop them all together."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from types import FrameType

STOP_TIMEOUT = 10.0


def wait_for_first_exit(children: Mapping[str, subprocess.Popen[str]]) -> tuple[str, int] | None:
    """Block until a child exits, returning its name and status, or until SIGTERM/SIGINT
    arrives or our own parent goes away (returning None).

    The parent check matters under ``make run``: killing only ``make`` would otherwise leave
    the server running without anyone to stop it.
    """
    parent = os.getppid()
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping and os.getppid() == parent:
        for name, child in children.items():
            if child.poll() is not None:
                return name, child.returncode
        time.sleep(0.2)
    return None


def stop_all(
    children: Mapping[str, subprocess.Popen[str]],
    *,
    on_kill: Callable[[str], None] = lambda _name: None,
) -> None:
    """SIGTERM to every child still running; SIGKILL to those still there after the timeout."""
    for child in children.values():
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    for name, child in children.items():
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            on_kill(name)
            child.kill()
            child.wait()

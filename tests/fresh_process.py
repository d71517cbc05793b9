"""Run a snippet in a fresh Python process after ``django.setup()``, with no database to
reach (its URL points at a closed port): for what the app does when it starts."""

from __future__ import annotations

import os
import subprocess
import sys


def after_setup(script: str) -> str:
    """``script``'s standard output, run right after ``django.setup()`` in a new process."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="backend.config.settings",
        DATABASE_URL="postgres://nobody@127.0.0.1:9/none",
        SECRET_KEY="x" * 50,
    )
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + script],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

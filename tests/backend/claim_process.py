"""Volunteers claiming a shift from a separate OS process (for the concurrency tests).

Started with multiprocessing's 'spawn' context, so nothing is inherited from the test process:
this module must not import Django models at the top, it sets Django up itself.
"""

from __future__ import annotations

import os
import threading
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier


def connect_patiently(seconds: float = 20) -> None:
    """Open this thread's database connection, waiting while the server is out of slots.

    The concurrency tests open 50 connections at once; on a shared PostgreSQL (100 slots by
    default) other test runs may hold the rest for a moment. Connecting happens before the
    race starts, so waiting here changes nothing about what is tested.
    """
    from django.db import OperationalError, connection

    deadline = time.monotonic() + seconds
    while True:
        try:
            connection.ensure_connection()
            return
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            connection.close()
            time.sleep(0.2)


def claim_in_process(
    database_name: str,
    shift_id: int,
    volunteer_ids: list[int],
    barrier: Barrier,
    outcomes: Queue,
) -> None:
    """Claim ``shift_id`` on the test database for each volunteer, one thread each, once every
    thread of every process is at ``barrier``.

    Puts ``(volunteer_id, outcome)`` on ``outcomes``: the claim status, a domain error code, or
    the repr of anything unexpected.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
    from django.conf import settings

    # The parent runs on the test database pytest-django created; the settings still name
    # the one DATABASE_URL points at.
    settings.DATABASES["default"]["NAME"] = database_name

    import django

    django.setup()
    from django.db import connection

    from backend.accounts.models import User
    from backend.core.errors import DomainError
    from backend.shifts.services import claim_create

    def claim(volunteer_id: int) -> None:
        outcome: str
        try:
            connect_patiently()
            volunteer = User.objects.get(pk=volunteer_id)
            barrier.wait(timeout=60)
            outcome = claim_create(volunteer=volunteer, shift_id=shift_id).claim.status
        except DomainError as error:
            outcome = error.code
        except Exception as error:
            outcome = repr(error)
        finally:
            connection.close()
        outcomes.put((volunteer_id, outcome))

    threads = [threading.Thread(target=claim, args=(pk,)) for pk in volunteer_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

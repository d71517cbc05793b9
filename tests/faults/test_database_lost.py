"""PostgreSQL drops the web process's connections (a failover, a restart,
``pg_terminate_backend``): requests in flight answer 503 ``database_unavailable`` with
Retry-After, never a 500, and the next requests succeed on fresh connections (issue 16)."""

from __future__ import annotations

import threading
import time
from collections import Counter

import httpx
import psycopg
import pytest
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from backend.organisations.models import Organisation
from tests.backend.conftest import MakeVolunteer
from tests.factories import shift_at
from tests.faults.servers import running_web
from tests.realtime.live import test_database_url as database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TERMINATING_SECONDS = 6
# A failover or restart every second: requests are in flight each time, and between times
# the server has time to work.
EVERY_SECONDS = 1.0
CLIENTS = 6


def _terminate_others(conn: psycopg.Connection) -> int:
    """End every other session on the test database; how many there were."""
    rows = conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    ).fetchall()
    return len(rows)


def test_connections_terminated_during_requests_answer_503_then_recover(
    organisation: Organisation, make_volunteer: MakeVolunteer
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    shifts = [shift_at(organisation, capacity=50) for _ in range(3)]
    volunteers = [make_volunteer() for _ in range(CLIENTS)]
    # The test's own connection would be terminated too: close it, reopen after.
    connection.close()
    statuses: Counter[int] = Counter()
    bad: list[str] = []
    stop = threading.Event()

    def client(index: int, url: str) -> None:
        token = AccessToken.for_user(volunteers[index])
        with httpx.Client(
            base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as http:
            n = 0
            while not stop.is_set():
                shift = shifts[n % len(shifts)]
                method = ("GET", "POST", "DELETE")[n % 3]
                path = "/shifts/" if method == "GET" else f"/shifts/{shift.pk}/claim/"
                response = http.request(method, path)
                statuses[response.status_code] += 1
                if response.status_code >= 500 and not (
                    response.status_code == 503
                    and response.json()["code"] == "database_unavailable"
                    and response.headers.get("Retry-After")
                ):
                    bad.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
                n += 1

    with running_web() as url, psycopg.connect(database_url(), autocommit=True) as admin:
        threads = [threading.Thread(target=client, args=(i, url)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        terminated = 0
        deadline = time.monotonic() + TERMINATING_SECONDS
        while time.monotonic() < deadline:
            time.sleep(EVERY_SECONDS)
            terminated += _terminate_others(admin)
        stop.set()
        for thread in threads:
            thread.join(30)
        during = dict(statuses)
        # Then the database stays up: every request succeeds, though the last round cut idle
        # pooled connections that no request has met yet (the pool tests what it hands out).
        token = AccessToken.for_user(volunteers[0])
        after = [
            httpx.get(
                f"{url}/api/v1/shifts/", headers={"Authorization": f"Bearer {token}"}, timeout=10
            ).status_code
            for _ in range(30)
        ]
    print(during, terminated, after)
    assert terminated >= 5  # the server's connections really were cut, again and again
    # Traffic kept flowing through the cuts (a floor, not a speed goal: on a slow machine the
    # six clients make fewer requests in the six seconds).
    assert sum(during.values()) > 30
    assert not bad, bad[:5]
    assert during.get(503, 0) > 0  # requests were in flight when it happened
    assert after == [200] * 30

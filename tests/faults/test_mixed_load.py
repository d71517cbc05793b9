"""Mixed load on a few shifts, over HTTP, on the production web process (issue 16).

20 clients claim, cancel (which promotes from the waitlist), check in and edit the same few
shifts against scripts/serve.py with two Daphne processes and the connection pool, on
PostgreSQL, until they have done a fixed amount of work (so a slow machine runs longer rather
than testing less, and a fast one does not idle through a fixed minute). Nobody may get a 5xx, PostgreSQL may detect no deadlock (its own
counter, ``pg_stat_database.deadlocks``), and afterwards every counter equals its claim rows.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import threading
import time
from collections import Counter

import httpx
import pytest
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from backend.accounts.models import User
from backend.organisations.models import Organisation, Role
from backend.shifts.models import Claim, ClaimStatus, Shift
from tests.factories import MembershipFactory, shift_at
from tests.faults.servers import deadlocks, running_web

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# The work to do: granted claims, cancellations and capacity edits (and at least one promotion).
GRANTED_CLAIMS = 150
CANCELLATIONS = 150
EDITS = 20
# A safety net for a broken server, not a speed goal.
MAX_SECONDS = float(os.environ.get("INZET_MIXED_LOAD_MAX_SECONDS", "300"))
CLIENTS = 20
COORDINATORS = 2


class Client(threading.Thread):
    def __init__(
        self,
        url: str,
        user: User,
        shift_ids: list[int],
        *,
        coordinator: bool,
        done: threading.Event,
    ) -> None:
        super().__init__(daemon=True)
        self.http = httpx.Client(
            base_url=f"{url}/api/v1",
            headers={"Authorization": f"Bearer {AccessToken.for_user(user)}"},
            timeout=30,
        )
        self.shift_ids = shift_ids
        self.coordinator = coordinator
        self.done = done
        self.random = random.Random(user.pk)
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.server_errors: list[str] = []

    def request(self, action: str, method: str, path: str, **kwargs: object) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)  # type: ignore[arg-type]
        self.statuses[(action, response.status_code)] += 1
        if response.status_code >= 500:
            self.server_errors.append(f"{method} {path}: {response.status_code} {response.text}")
        return response

    def run(self) -> None:
        with self.http:
            while not self.done.is_set():
                shift_id = self.random.choice(self.shift_ids)
                if self.coordinator:
                    self.coordinate(shift_id)
                else:
                    self.volunteer(shift_id)

    def volunteer(self, shift_id: int) -> None:
        roll = self.random.random()
        if roll < 0.45:
            self.request("claim", "POST", f"/shifts/{shift_id}/claim/")
        elif roll < 0.85:
            self.request("cancel", "DELETE", f"/shifts/{shift_id}/claim/")
        else:
            self.request("check-in", "POST", f"/shifts/{shift_id}/check-in/")

    def coordinate(self, shift_id: int) -> None:
        roll = self.random.random()
        if roll < 0.5:
            capacity = self.random.randint(2, 6)
            self.request("edit", "PATCH", f"/shifts/{shift_id}/", json={"capacity": capacity})
        else:
            claims = self.request("list", "GET", f"/shifts/{shift_id}/claims/").json()
            rows = claims.get("results", claims) if isinstance(claims, dict) else claims
            confirmed = [c["id"] for c in rows if c.get("status") == "confirmed"]
            if confirmed:
                claim_id = self.random.choice(confirmed)
                self.request(
                    "coordinator check-in",
                    "POST",
                    f"/shifts/{shift_id}/claims/{claim_id}/check-in/",
                )


def _totals(clients: list[Client]) -> Counter[tuple[str, int]]:
    totals: Counter[tuple[str, int]] = Counter()
    for client in clients:
        totals.update(client.statuses.copy())
    return totals


def _enough(totals: Counter[tuple[str, int]]) -> bool:
    return (
        totals[("claim", 201)] >= GRANTED_CLAIMS
        and totals[("cancel", 200)] + totals[("cancel", 204)] >= CANCELLATIONS
        and totals[("edit", 200)] >= EDITS
    )


def test_mixed_load_has_no_deadlock_no_5xx_and_right_counters(
    organisation: Organisation,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the deadlock counter and row locks under test are PostgreSQL's")
    # Shifts under way soon, so volunteers may check in (from 30 minutes before the start);
    # they overlap, so promotions and claims also meet the overlap rule.
    shifts = [
        shift_at(
            organisation,
            starts_in=dt.timedelta(minutes=10 + 5 * i),
            hours=2,
            capacity=3,
            waitlist_enabled=True,
        )
        for i in range(4)
    ]
    people = [
        MembershipFactory(
            organisation=organisation,
            role=Role.COORDINATOR if i < COORDINATORS else Role.VOLUNTEER,
        ).user
        for i in range(CLIENTS)
    ]
    shift_ids = [s.pk for s in shifts]
    before = deadlocks()
    with running_web() as url:
        done = threading.Event()
        clients = [
            Client(url, user, shift_ids, coordinator=i < COORDINATORS, done=done)
            for i, user in enumerate(people)
        ]
        started = time.monotonic()
        for client in clients:
            client.start()
        while not _enough(_totals(clients)) and time.monotonic() - started < MAX_SECONDS:
            time.sleep(0.2)
        done.set()
        for client in clients:
            client.join(timeout=60)
        seconds = time.monotonic() - started
    after = deadlocks()

    totals = _totals(clients)
    print(f"{seconds:.1f} s:", sorted(totals.items()))
    errors = [e for c in clients for e in c.server_errors]
    print(sorted(totals.items()))
    assert not errors, errors[:5]
    assert after - before == 0, f"PostgreSQL detected {after - before} deadlocks"
    # The load really mixed: claims that got seats and waitlists, cancellations, promotions.
    assert _enough(totals), f"not done after {MAX_SECONDS:.0f} s"
    assert Claim.objects.filter(promoted_at__isnull=False).exists()
    for shift in Shift.objects.filter(pk__in=shift_ids):
        claims = Counter(Claim.objects.filter(shift=shift).values_list("status", flat=True))
        confirmed = claims[ClaimStatus.CONFIRMED] + claims[ClaimStatus.COMPLETED]
        assert shift.confirmed_count == confirmed, shift
        assert shift.waitlist_count == claims[ClaimStatus.WAITLISTED], shift
        assert shift.confirmed_count <= shift.capacity

"""The running worker keeps house: it forgets expired refresh tokens when it starts (and every
HOUSEKEEPING_EVERY seconds after), so the token tables do not grow without end."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from backend.accounts.models import User
from backend.notifications.worker import Worker


@pytest.mark.django_db(transaction=True)
def test_the_running_worker_forgets_expired_refresh_tokens(worker: Worker, volunteer: User) -> None:
    kept = str(RefreshToken.for_user(volunteer))
    RefreshToken.for_user(volunteer)
    OutstandingToken.objects.exclude(token=kept).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    stop = threading.Event()
    running = threading.Thread(target=worker.run, args=(stop,), kwargs={"threads": 2, "poll": 0.05})
    running.start()
    try:
        deadline = time.monotonic() + 10
        while OutstandingToken.objects.count() > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        running.join(timeout=10)
    assert list(OutstandingToken.objects.values_list("token", flat=True)) == [kept]

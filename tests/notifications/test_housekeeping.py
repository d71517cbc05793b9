"""The running worker keeps house: it forgets expired refresh tokens when it starts (and every
HOUSEKEEPING_EVERY seconds after), so the token tables do not grow without end; and it sends
the queued e-mails."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from backend.accounts.models import OutgoingMail, User
from backend.accounts.recovery import password_reset_request
from backend.config.settings import email_settings
from backend.notifications.worker import Worker
from tests.fake_smtp import fake_smtp


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


@pytest.mark.django_db(transaction=True)
def test_the_running_worker_sends_the_queued_mails(
    worker: Worker, volunteer: User, settings: Any
) -> None:
    """A password-reset mail asked through the API goes out through the running worker, over
    SMTP (a local server), with two threads taking mails: sent exactly once."""
    with fake_smtp() as smtp:
        for name, value in email_settings(f"smtp://{smtp.host}:{smtp.port}").items():
            setattr(settings, name, value)
        for _ in range(3):
            password_reset_request(email=volunteer.email, site="https://inzet.example")
        stop = threading.Event()
        running = threading.Thread(
            target=worker.run, args=(stop,), kwargs={"threads": 2, "poll": 0.05}
        )
        running.start()
        try:
            deadline = time.monotonic() + 10
            while len(smtp.messages) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)  # a duplicate would arrive now
        finally:
            stop.set()
            running.join(timeout=10)
    assert len(smtp.messages) == 3
    assert all("https://inzet.example/accounts/reset/" in body for body in smtp.bodies())
    assert OutgoingMail.objects.filter(sent_at__isnull=False, body="").count() == 3

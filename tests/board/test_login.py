"""The board's log-in page: where log-in-required pages send people, and the limit on
failed attempts per client address."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from backend.accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"
LIMIT_MESSAGE = "Too many failed log-in attempts"


def _log_in(client: Client, user: User, password: str, address: str = "127.0.0.1") -> Any:
    return client.post(
        "/accounts/login/",
        {"username": user.email, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_login_url_is_the_boards_log_in_page() -> None:
    response = Client().get(settings.LOGIN_URL)
    assert response.status_code == 200
    assert "board/login.html" in [t.name for t in response.templates]


def test_failed_log_ins_over_the_limit_are_refused_with_a_clear_message(
    coordinator: User, settings: Any
) -> None:
    settings.LOGIN_FAILURES_PER_MINUTE = 3
    client = Client()
    for _ in range(3):
        response = _log_in(client, coordinator, "wrong")
        assert response.status_code == 200
        assert LIMIT_MESSAGE not in response.content.decode()

    # Over the limit even the right password is not checked.
    response = _log_in(client, coordinator, PASSWORD)
    assert response.status_code == 429
    assert LIMIT_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session

    # Another address is not affected.
    assert _log_in(Client(), coordinator, PASSWORD, address="10.0.0.7").status_code == 302


def test_the_limit_lifts_after_a_minute(coordinator: User, settings: Any) -> None:
    # An in-process cache, so the minute can pass under time-machine (Redis keeps real time).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.LOGIN_FAILURES_PER_MINUTE = 2
    client = Client()
    start = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        _log_in(client, coordinator, "wrong")
        _log_in(client, coordinator, "wrong")
        assert _log_in(client, coordinator, PASSWORD).status_code == 429
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        assert _log_in(client, coordinator, PASSWORD).status_code == 302


def test_successful_log_ins_do_not_count(coordinator: User, settings: Any) -> None:
    settings.LOGIN_FAILURES_PER_MINUTE = 2
    for _ in range(4):
        assert _log_in(Client(), coordinator, PASSWORD).status_code == 302

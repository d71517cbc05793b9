"""The board's log-in page: where log-in-required pages send people, and the limits on
failed attempts per client address and per account (the API's log-in counts in the same)."""

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
LIMIT_MESSAGE = "Too many attempts. Try again in"


def _limit(settings: Any, **rates: str) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, **rates}


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
    _limit(settings, login_address="3/min")
    client = Client()
    for _ in range(3):
        response = _log_in(client, coordinator, "wrong")
        assert response.status_code == 200
        assert LIMIT_MESSAGE not in response.content.decode()

    # Over the limit even the right password is not checked.
    response = _log_in(client, coordinator, PASSWORD)
    assert response.status_code == 429
    assert LIMIT_MESSAGE in response.content.decode()
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "_auth_user_id" not in client.session

    # Another address is not affected.
    assert _log_in(Client(), coordinator, PASSWORD, address="10.0.0.7").status_code == 302


def test_the_limit_lifts_after_a_minute(coordinator: User, settings: Any) -> None:
    # An in-process cache, so the minute can pass under time-machine (Redis keeps real time).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    _limit(settings, login_address="2/min")
    client = Client()
    start = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        _log_in(client, coordinator, "wrong")
        _log_in(client, coordinator, "wrong")
        assert _log_in(client, coordinator, PASSWORD).status_code == 429
    # The limit is a sliding minute: two minutes on, nothing of it is left.
    with time_machine.travel(start + dt.timedelta(seconds=120), tick=False):
        assert _log_in(client, coordinator, PASSWORD).status_code == 302


def test_successful_log_ins_do_not_count(coordinator: User, settings: Any) -> None:
    _limit(settings, login_address="2/min", login_account="2/hour")
    for _ in range(4):
        assert _log_in(Client(), coordinator, PASSWORD).status_code == 302


def test_one_account_is_protected_from_many_addresses(coordinator: User, settings: Any) -> None:
    _limit(settings, login_account="3/hour")
    with time_machine.travel(dt.datetime(2026, 5, 4, 9, 20, tzinfo=dt.UTC), tick=False):
        for n in range(3):
            wrong = _log_in(Client(), coordinator, "wrong", address=f"10.1.0.{n}")
            assert wrong.status_code == 200

        refused = _log_in(Client(), coordinator, PASSWORD, address="10.1.0.99")

    assert refused.status_code == 429
    assert refused["Retry-After"] == str(40 * 60)
    assert "Try again in 40 minutes" in refused.content.decode()


def test_wrong_passwords_on_the_api_count_on_the_board_too(
    coordinator: User, settings: Any
) -> None:
    _limit(settings, login_address="3/min")
    api = Client()
    for _ in range(3):
        body = {"email": coordinator.email, "password": "wrong"}
        response = api.post("/api/v1/auth/token/", body, content_type="application/json")
        assert response.status_code == 401

    assert _log_in(Client(), coordinator, PASSWORD).status_code == 429

"""An app's session (issue 12): every refresh answers a new refresh token and uses up the one
given, log-out revokes it, a used token is refused even when two requests race with it, and
expired tokens are forgotten by the worker."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from backend.accounts.models import User
from backend.accounts.sessions import expired_tokens_forget
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
LOGOUT = "/api/v1/auth/logout/"


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    cache.clear()


def log_in(api: APIClient, user: User) -> dict[str, str]:
    response = api.post(TOKEN, {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def refresh(api: APIClient, token: str):  # type: ignore[no-untyped-def]
    return api.post(REFRESH, {"refresh": token}, format="json")


def test_a_refresh_answers_a_new_refresh_token_and_uses_up_the_old_one(
    api: APIClient, volunteer: User
) -> None:
    first = log_in(api, volunteer)
    second = refresh(api, first["refresh"])
    assert second.status_code == 200
    pair = second.json()
    assert set(pair) == {"access", "refresh"} and pair["refresh"] != first["refresh"]

    reused = api.post(  # a thief's copy, or the app's retry
        REFRESH, {"refresh": first["refresh"]}, format="json", HTTP_ACCEPT_LANGUAGE="nl"
    )
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_not_valid"
    # In our Dutch, not simplejwt's ("Token is ge-blacklist").
    assert reused.json()["detail"] == (
        "Deze token is niet meer geldig: hij werd al gebruikt of ingetrokken. Log opnieuw in."
    )

    third = refresh(api, pair["refresh"])  # the app goes on with the new one
    assert third.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {third.json()['access']}")
    assert api.get("/api/v1/me/").status_code == 200


def test_log_in_records_the_moment_and_the_export_shows_it(api: APIClient, volunteer: User) -> None:
    assert volunteer.last_login is None
    before = timezone.now()
    tokens = log_in(api, volunteer)
    volunteer.refresh_from_db()
    assert volunteer.last_login is not None and volunteer.last_login >= before
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    exported = api.get("/api/v1/me/export/").json()
    assert exported["account"]["last_login"] is not None


def test_log_out_ends_the_session_and_is_idempotent(api: APIClient, volunteer: User) -> None:
    tokens = log_in(api, volunteer)
    assert api.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json").status_code == 204
    assert refresh(api, tokens["refresh"]).status_code == 401
    assert api.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json").status_code == 204

    wrong = api.post(LOGOUT, {"refresh": tokens["access"]}, format="json")
    assert wrong.status_code == 401 and wrong.json()["code"] == "token_not_valid"
    forged = api.post(LOGOUT, {"refresh": tokens["refresh"][:-4] + "AAAA"}, format="json")
    assert forged.status_code == 401
    missing = api.post(LOGOUT, {}, format="json")
    assert missing.status_code == 400 and "refresh" in missing.json()["fields"]


def test_two_refreshes_racing_with_one_token_give_new_tokens_once(
    transactional_db: None, volunteer: User
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("a race between connections needs PostgreSQL (SQLite serialises writes)")
    token = log_in(APIClient(), volunteer)["refresh"]
    barrier = threading.Barrier(8)
    codes: list[int] = []

    def race() -> None:
        client = APIClient()
        barrier.wait()
        codes.append(refresh(client, token).status_code)
        connection.close()

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200] + [401] * 7


def test_the_worker_forgets_expired_refresh_tokens(api: APIClient, volunteer: User) -> None:
    log_in(api, volunteer)
    kept = log_in(api, volunteer)
    assert OutstandingToken.objects.count() == 2
    OutstandingToken.objects.exclude(token=kept["refresh"]).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert expired_tokens_forget(now=timezone.now()) == 1
    assert list(OutstandingToken.objects.values_list("token", flat=True)) == [kept["refresh"]]
    assert refresh(api, kept["refresh"]).status_code == 200


def test_a_password_change_asks_for_the_current_one_and_keeps_this_app_signed_in(
    api: APIClient, volunteer: User
) -> None:
    other_device = log_in(APIClient(), volunteer)
    tokens = log_in(api, volunteer)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    url = "/api/v1/me/password/"

    wrong = api.post(url, {"current_password": "raden", "new_password": "x"}, format="json")
    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_password"
    weak = api.post(url, {"current_password": PASSWORD, "new_password": "12345678"}, format="json")
    assert weak.status_code == 400 and "new_password" in weak.json()["fields"]

    changed = api.post(
        url, {"current_password": PASSWORD, "new_password": "appelboom-in-bloei-7"}, format="json"
    )
    assert changed.status_code == 200
    # This app goes on with the new pair; every earlier session ends, on every device.
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {changed.json()['access']}")
    assert api.get("/api/v1/me/").status_code == 200
    assert refresh(APIClient(), changed.json()["refresh"]).status_code == 200
    assert refresh(APIClient(), other_device["refresh"]).status_code == 401
    old = APIClient()
    old.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert old.get("/api/v1/me/").status_code == 401
    relogin = APIClient().post(
        TOKEN, {"email": volunteer.email, "password": "appelboom-in-bloei-7"}, format="json"
    )
    assert relogin.status_code == 200

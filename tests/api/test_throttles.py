"""The API's limits, in separate scopes: wrong passwords per address and per account,
sign-ups per address, refreshes per user, claims per user. Every 429 says when to come back
(``Retry-After``, and the wait in the detail)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from backend.accounts.models import User
from tests.conftest import client_for
from tests.factories import PASSWORD, ShiftFactory, UserFactory
from tests.schema_check import CheckedAPIClient

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"


def _limit(settings: Any, **rates: str) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, **rates}


def log_in(api: APIClient, user: User, password: str = PASSWORD) -> Any:
    return api.post(TOKEN, {"email": user.email, "password": password}, format="json")


def assert_throttled(response: Any, *, at_most: int) -> None:
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= at_most
    assert "Probeer het over" in body["detail"]  # the default language is Dutch


def test_only_wrong_passwords_count_and_over_the_limit_none_is_checked(
    api: APIClient, volunteer: User, settings: Any
) -> None:
    _limit(settings, login_address="3/min")
    assert [log_in(api, volunteer).status_code for _ in range(5)] == [200] * 5
    assert [log_in(api, volunteer, "guess").status_code for _ in range(3)] == [401] * 3

    assert_throttled(log_in(api, volunteer), at_most=60)
    # Another address is not affected.
    assert log_in(CheckedAPIClient(REMOTE_ADDR="10.2.0.1"), volunteer).status_code == 200


def test_one_account_guessed_at_from_many_addresses_is_protected(
    volunteer: User, settings: Any
) -> None:
    _limit(settings, login_account="3/hour")
    for n in range(3):
        assert (
            log_in(CheckedAPIClient(REMOTE_ADDR=f"10.3.0.{n}"), volunteer, "guess").status_code
            == 401
        )

    assert_throttled(log_in(CheckedAPIClient(REMOTE_ADDR="10.3.0.9"), volunteer), at_most=3600)
    other = UserFactory()
    assert log_in(CheckedAPIClient(REMOTE_ADDR="10.3.0.9"), other).status_code == 200


def test_a_wrong_current_password_is_a_guess_too(volunteer: User, settings: Any) -> None:
    _limit(settings, login_account="2/hour")
    app = client_for(volunteer)
    wrong = {"current_password": "guess", "new_password": "een-nieuw-wachtwoord-2026"}
    assert [app.post("/api/v1/me/password/", wrong, format="json").status_code] * 2 == [403] * 2
    assert app.post("/api/v1/me/password/", wrong, format="json").status_code == 403

    right = {**wrong, "current_password": PASSWORD}
    assert_throttled(app.post("/api/v1/me/password/", right, format="json"), at_most=3600)
    assert_throttled(app.delete("/api/v1/me/", {"password": PASSWORD}, format="json"), at_most=3600)
    assert User.objects.filter(pk=volunteer.pk, is_active=True).exists()


def test_refreshes_are_limited_per_user_and_never_count_against_log_in(
    api: APIClient, volunteer: User, settings: Any
) -> None:
    _limit(settings, refresh="2/min", login_address="2/min")
    token = log_in(api, volunteer).json()["refresh"]
    for _ in range(2):
        response = api.post(REFRESH, {"refresh": token}, format="json")
        assert response.status_code == 200
        token = response.json()["refresh"]

    assert_throttled(api.post(REFRESH, {"refresh": token}, format="json"), at_most=60)
    # Log-in is another scope, and another user's refresh from the same address still works.
    other = UserFactory()
    other_token = log_in(api, other).json()["refresh"]
    assert api.post(REFRESH, {"refresh": other_token}, format="json").status_code == 200
    assert log_in(api, volunteer).status_code == 200


def test_forged_refresh_tokens_are_limited_per_address(api: APIClient, settings: Any) -> None:
    _limit(settings, refresh="2/min")
    forged = [api.post(REFRESH, {"refresh": "x.y.z"}, format="json") for _ in range(2)]
    assert [r.status_code for r in forged] == [401, 401]
    assert_throttled(api.post(REFRESH, {"refresh": "x.y.z"}, format="json"), at_most=60)


def test_sign_ups_are_limited_per_address(api: APIClient, settings: Any) -> None:
    _limit(settings, signup_address="2/hour")
    for n in range(2):
        body = {
            "email": f"v{n}@example.org",
            "password": "zonnebloem-in-de-tuin",
            "display_name": "V",
        }
        assert api.post("/api/v1/auth/register/", body, format="json").status_code == 201

    body = {"email": "v9@example.org", "password": "zonnebloem-in-de-tuin", "display_name": "V"}
    assert_throttled(api.post("/api/v1/auth/register/", body, format="json"), at_most=3600)
    assert not User.objects.filter(email="v9@example.org").exists()


def test_claims_are_limited_per_user_with_a_wait(
    organisation: Any, volunteer: User, settings: Any
) -> None:
    _limit(settings, claims="3/min")
    shift = ShiftFactory(organisation=organisation)
    app = client_for(volunteer)
    for _ in range(3):
        assert app.post(f"/api/v1/shifts/{shift.pk}/claim/").status_code in (200, 201)

    refused = app.post(f"/api/v1/shifts/{shift.pk}/claim/")
    assert_throttled(refused, at_most=60)


def test_the_wait_is_in_the_askers_language(api: APIClient, volunteer: User, settings: Any) -> None:
    _limit(settings, login_address="1/min")
    log_in(api, volunteer, "guess")
    refused = api.post(
        TOKEN,
        {"email": volunteer.email, "password": PASSWORD},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Trop de tentatives. Réessayez dans ")

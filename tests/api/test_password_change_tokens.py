"""A password change ends the app's tokens issued before it, however the password was set:
the old access token gets 401, the old refresh token cannot be refreshed; logging in with the
new password works."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import translation
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from backend.accounts.models import User
from backend.api.authentication import PASSWORD_CHANGED
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "nieuwe-zonnebloem-2025"


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    cache.clear()


def log_in(api: APIClient, user: User, password: str) -> dict[str, str]:
    response = api.post(
        "/api/v1/auth/token/", {"email": user.email, "password": password}, format="json"
    )
    assert response.status_code == 200, response.json()
    return dict(response.json())


def me(api: APIClient, access: str, language: str = "en") -> tuple[int, dict[str, object]]:
    response = api.get(
        "/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}", HTTP_ACCEPT_LANGUAGE=language
    )
    return response.status_code, response.json()


def refresh(api: APIClient, token: str) -> tuple[int, dict[str, object]]:
    response = api.post("/api/v1/auth/token/refresh/", {"refresh": token}, format="json")
    return response.status_code, response.json()


def test_a_new_password_ends_the_tokens_issued_before_it(api: APIClient, volunteer: User) -> None:
    old = log_in(api, volunteer, PASSWORD)
    assert me(api, old["access"])[0] == 200

    volunteer.set_password(NEW_PASSWORD)
    volunteer.save()

    status, body = me(api, old["access"], language="nl")
    assert status == 401
    with translation.override("nl"):
        dutch = str(PASSWORD_CHANGED)
    assert body == {"code": "token_not_valid", "detail": dutch, "fields": {}}
    assert dutch != "The password of this account was changed. Please log in again."
    status, body = refresh(api, old["refresh"])
    assert (status, body["code"]) == (401, "token_not_valid")

    new = log_in(api, volunteer, NEW_PASSWORD)
    assert me(api, new["access"])[0] == 200
    status, body = refresh(api, new["refresh"])
    assert status == 200
    assert me(api, str(body["access"]))[0] == 200


def test_saving_the_account_without_a_new_password_keeps_its_tokens(
    api: APIClient, volunteer: User
) -> None:
    tokens = log_in(api, volunteer, PASSWORD)
    volunteer.email = "anna.peeters@example.org"
    volunteer.save()
    assert me(api, tokens["access"])[0] == 200
    assert refresh(api, tokens["refresh"])[0] == 200


def test_a_token_without_the_password_claim_is_refused(api: APIClient, volunteer: User) -> None:
    # Tokens issued before tokens carried the claim: the app logs in once more.
    token = AccessToken.for_user(volunteer)
    del token["hash_password"]
    status, body = me(api, str(token))
    assert (status, body["code"]) == (401, "token_not_valid")

import pytest
from django.core.cache import cache

from tests.conftest import client_for
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()


def register(api, **overrides):
    body = {
        "email": "Lotte@Example.org",
        "password": "zonnebloem-in-de-tuin",
        "display_name": "Lotte",
    }
    body.update(overrides)
    return api.post("/api/v1/auth/register/", body, format="json")


def test_a_volunteer_signs_up_and_logs_in_with_email_and_password(api):
    response = register(api, language="fr")
    assert response.status_code == 201
    assert response.json()["email"] == "lotte@example.org"
    assert response.json()["language"] == "fr"
    assert response.json()["consent_at"] is not None

    tokens = api.post(
        "/api/v1/auth/token/",
        {"email": "LOTTE@example.org", "password": "zonnebloem-in-de-tuin"},
        format="json",
    )
    assert tokens.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")
    me = api.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["display_name"] == "Lotte"

    refreshed = api.post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens.json()["refresh"]}, format="json"
    )
    assert refreshed.status_code == 200
    assert "access" in refreshed.json()


def test_signing_up_twice_with_one_email_is_refused_on_the_email_field(api):
    assert register(api).status_code == 201
    response = register(api, email="lotte@example.org")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "email" in response.json()["fields"]


def test_weak_passwords_are_refused_by_djangos_validators(api):
    response = register(api, password="12345678")
    assert response.status_code == 400
    assert "password" in response.json()["fields"]


def test_wrong_password_gives_invalid_credentials(api, volunteer):
    response = api.post(
        "/api/v1/auth/token/", {"email": volunteer.email, "password": "nope"}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_a_garbage_token_is_refused_with_token_not_valid(api):
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_anonymous_requests_get_not_authenticated(api):
    response = api.get("/api/v1/shifts/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_log_in_attempts_are_throttled(api, volunteer, settings):
    statuses = [
        api.post(
            "/api/v1/auth/token/", {"email": volunteer.email, "password": "guess"}, format="json"
        ).status_code
        for _ in range(12)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    blocked = api.post(
        "/api/v1/auth/token/", {"email": volunteer.email, "password": PASSWORD}, format="json"
    )
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "throttled"


def test_profile_changes_keep_read_only_fields(volunteer):
    client = client_for(volunteer)
    response = client.patch(
        "/api/v1/me/",
        {"display_name": "Mo", "mode_preference": "online", "email": "hacker@example.org", "id": 1},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["display_name"] == "Mo"
    assert response.json()["mode_preference"] == "online"
    volunteer.refresh_from_db()
    assert volunteer.email != "hacker@example.org"


def test_profile_changes_are_validated(volunteer):
    response = client_for(volunteer).patch("/api/v1/me/", {"language": "de"}, format="json")
    assert response.status_code == 400
    assert "language" in response.json()["fields"]


def test_me_lists_memberships_with_roles(volunteer, organisation):
    body = client_for(volunteer).get("/api/v1/me/").json()
    assert body["memberships"] == [
        {
            "organisation_id": organisation.pk,
            "organisation_name": organisation.name,
            "organisation_slug": organisation.slug,
            "role": "volunteer",
        }
    ]

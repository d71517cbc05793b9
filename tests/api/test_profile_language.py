"""The API answers an app in the language of the volunteer's profile; an explicit
``Accept-Language`` still wins."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from backend.accounts.models import User
from tests.factories import PASSWORD
from tests.schema_check import CheckedAPIClient

pytestmark = pytest.mark.django_db


def signed_in(user: User, language: str) -> APIClient:
    user.profile.language = language
    user.profile.save()
    api = CheckedAPIClient()
    body = {"email": user.email, "password": PASSWORD}
    token = api.post("/api/v1/auth/token/", body, format="json").json()["access"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def test_errors_come_in_the_profiles_language(volunteer: User) -> None:
    api = signed_in(volunteer, "fr")

    missing = api.post("/api/v1/shifts/999999/claim/")

    assert missing.status_code == 404
    assert missing["Content-Language"] == "fr"
    assert missing.json()["detail"] == "Introuvable."
    invalid = api.get("/api/v1/shifts/", {"open": "banana"})
    assert invalid["Content-Language"] == "fr"


def test_an_explicit_accept_language_wins(volunteer: User) -> None:
    api = signed_in(volunteer, "fr")

    missing = api.post("/api/v1/shifts/999999/claim/", HTTP_ACCEPT_LANGUAGE="en")

    assert missing["Content-Language"] == "en"
    assert missing.json()["detail"] == "Not found."


def test_the_language_costs_no_query(volunteer: User) -> None:
    api = signed_in(volunteer, "en")

    def queries(**headers: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/me/", **headers).status_code == 200
        return [q["sql"] for q in captured.captured_queries]

    from_profile, asked = queries(), queries(HTTP_ACCEPT_LANGUAGE="fr")
    assert len(from_profile) == len(asked)
    assert '"accounts_volunteerprofile"' in from_profile[0]  # joined to the user's row


def test_drfs_messages_that_its_own_catalogue_lacks_are_in_dutch(volunteer: User) -> None:
    api = signed_in(volunteer, "nl")

    refused = api.patch("/api/v1/me/reminders/", {"enabled": "misschien"}, format="json")

    assert refused.status_code == 400
    assert refused.json()["fields"]["enabled"] == ["Geef true of false."]  # not "Must be a valid…"

"""The profile's switches on ``GET/PATCH /api/v1/me/``: asked to stand in (on by default),
help-now alerts and the weekly digest (off by default)."""

from __future__ import annotations

import pytest

from backend.accounts.models import User, VolunteerProfile
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def switches(body: dict[str, object]) -> tuple[object, object, object]:
    return body["stand_in_requests"], body["help_now_alerts"], body["weekly_digest"]


def test_the_switches_start_as_stand_ins_on_and_the_opt_ins_off(volunteer: User) -> None:
    body = client_for(volunteer).get("/api/v1/me/").json()
    assert switches(body) == (True, False, False)


def test_a_volunteer_turns_the_switches_over_with_patch(volunteer: User) -> None:
    client = client_for(volunteer)
    response = client.patch(
        "/api/v1/me/",
        {"stand_in_requests": False, "help_now_alerts": True, "weekly_digest": True},
        format="json",
    )
    assert response.status_code == 200
    assert switches(response.json()) == (False, True, True)
    profile = VolunteerProfile.objects.get(user=volunteer)
    assert (profile.stand_in_requests, profile.help_now_alerts, profile.weekly_digest) == (
        False,
        True,
        True,
    )
    # One alone leaves the others as they are.
    response = client.patch("/api/v1/me/", {"weekly_digest": False}, format="json")
    assert switches(response.json()) == (False, True, False)


def test_a_switch_takes_only_a_boolean(volunteer: User) -> None:
    response = client_for(volunteer).patch(
        "/api/v1/me/", {"help_now_alerts": "sometimes"}, format="json"
    )
    assert response.status_code == 400
    assert "help_now_alerts" in response.json()["fields"]
    assert VolunteerProfile.objects.get(user=volunteer).help_now_alerts is False

"""Where a shift takes place (address, meeting link) is shown by one rule everywhere: to the
organisation's coordinators and to volunteers whose claim is confirmed, never to a waitlisted
or browsing volunteer, nor in the organisation's calendar feed."""

from __future__ import annotations

import pytest
from django.test import Client

from backend.accounts.models import VolunteerProfile
from backend.shifts.models import ShiftMode
from backend.shifts.services import claim_create
from tests.conftest import client_for
from tests.factories import ShiftFactory

pytestmark = pytest.mark.django_db

ADDRESS = "Veldstraat 12 bus 3, 9000 Gent"


def _shift_row(user, shift) -> dict:  # type: ignore[no-untyped-def]
    response = client_for(user).get(f"/api/v1/shifts/{shift.pk}/")
    assert response.status_code == 200
    return response.json()


def test_a_home_visits_address_is_for_the_confirmed_volunteer_and_the_coordinator(
    organisation, coordinator, make_volunteer
):
    shift = ShiftFactory(organisation=organisation, capacity=1, address=ADDRESS)
    confirmed, waiting, browsing = make_volunteer(), make_volunteer(), make_volunteer()
    claim_create(volunteer=confirmed, shift_id=shift.pk)
    claim_create(volunteer=waiting, shift_id=shift.pk)

    assert _shift_row(confirmed, shift)["address"] == ADDRESS
    assert _shift_row(coordinator, shift)["address"] == ADDRESS
    assert _shift_row(waiting, shift)["address"] is None
    assert _shift_row(browsing, shift)["address"] is None
    mine = client_for(waiting).get("/api/v1/me/claims/").json()
    rows = mine["results"] if isinstance(mine, dict) else mine
    assert [(r["status"], r["address"]) for r in rows] == [("waitlisted", None)]


def test_a_meeting_link_follows_the_same_rule(organisation, coordinator, make_volunteer):
    link = "https://meet.example.org/leesuur-42"
    shift = ShiftFactory(
        organisation=organisation, capacity=1, mode=ShiftMode.ONLINE, address="", meeting_link=link
    )
    confirmed, waiting = make_volunteer(), make_volunteer()
    claim_create(volunteer=confirmed, shift_id=shift.pk)
    claim_create(volunteer=waiting, shift_id=shift.pk)
    assert _shift_row(confirmed, shift)["meeting_link"] == link
    assert _shift_row(coordinator, shift)["meeting_link"] == link
    assert _shift_row(waiting, shift)["meeting_link"] is None


def test_calendar_feeds_show_the_address_only_in_the_confirmed_volunteers_own_feed(
    organisation, make_volunteer
):
    shift = ShiftFactory(organisation=organisation, capacity=1, address=ADDRESS)
    confirmed, waiting = make_volunteer(), make_volunteer()
    claim_create(volunteer=confirmed, shift_id=shift.pk)
    claim_create(volunteer=waiting, shift_id=shift.pk)

    def feed(user, path: str) -> str:  # type: ignore[no-untyped-def]
        links = client_for(user).get("/api/v1/me/calendar/").json()
        assert links, links
        token = VolunteerProfile.objects.get(user=user).calendar_token
        response = Client().get(f"/api/v1/calendar/{token}/{path}")
        assert response.status_code == 200
        return response.content.decode().replace("\r\n ", "")

    assert "Veldstraat 12 bus 3" in feed(confirmed, "shifts.ics")
    assert "Veldstraat" not in feed(confirmed, f"organisations/{organisation.pk}.ics")
    assert "Veldstraat" not in feed(waiting, f"organisations/{organisation.pk}.ics")

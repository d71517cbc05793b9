"""iCalendar feeds: they parse with the icalendar package, times round-trip in the
organisation's time zone, cancelled shifts show as cancelled, and the secret URL can be
rotated."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from rest_framework.test import APIClient

from backend.accounts.models import User
from backend.organisations.models import Organisation
from backend.shifts.models import ShiftMode, ShiftStatus
from backend.shifts.services import claim_create, shift_cancel
from tests.conftest import client_for
from tests.factories import PASSWORD, ShiftFactory

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")


def _links(user: User) -> dict:
    return client_for(user).get("/api/v1/me/calendar/").json()


def _events(url: str, **headers: str) -> dict[str, object]:
    response = APIClient().get(url, **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


def _next_year(month: int, day: int, hour: int) -> dt.datetime:
    return dt.datetime(dt.date.today().year + 1, month, day, hour, tzinfo=BRUSSELS)


def test_my_feed_round_trips_times_and_shows_cancelled_shifts(
    volunteer: User, coordinator: User, organisation: Organisation
) -> None:
    winter = ShiftFactory(
        organisation=organisation,
        title="Winterwandeling",
        starts_at=_next_year(1, 12, 14),
        ends_at=_next_year(1, 12, 16),
    )
    summer = ShiftFactory(
        organisation=organisation,
        title="Zomerbabbel",
        mode=ShiftMode.ONLINE,
        address="",
        meeting_link="https://meet.example.org/babbel",
        starts_at=_next_year(7, 6, 14),
        ends_at=_next_year(7, 6, 15),
    )
    cancelled = ShiftFactory(
        organisation=organisation,
        title="Afgelast",
        starts_at=_next_year(2, 2, 10),
        ends_at=_next_year(2, 2, 12),
    )
    not_mine = ShiftFactory(organisation=organisation, title="Niet van mij")
    for shift in (winter, summer, cancelled):
        claim_create(volunteer=volunteer, shift_id=shift.pk)
    shift_cancel(actor=coordinator, shift_id=cancelled.pk)

    events = _events(_links(volunteer)["my_shifts"], HTTP_ACCEPT="text/calendar")

    name = f"{winter.title} ({organisation.name})"
    assert set(events) == {
        name,
        f"Zomerbabbel ({organisation.name})",
        f"Afgelast ({organisation.name})",
    }
    start = events[name].decoded("dtstart")
    assert start == winter.starts_at
    assert (start.hour, str(start.tzinfo)) == (14, "Europe/Brussels")
    assert events[name].decoded("dtend") == winter.ends_at
    summer_start = events[f"Zomerbabbel ({organisation.name})"].decoded("dtstart")
    assert summer_start == summer.starts_at and summer_start.hour == 14  # summer time
    assert str(events[name]["location"]) == winter.address
    assert str(events[f"Zomerbabbel ({organisation.name})"]["url"]) == summer.meeting_link
    assert str(events[f"Afgelast ({organisation.name})"]["status"]) == "CANCELLED"
    assert str(events[name]["status"]) == "CONFIRMED"
    assert not_mine.title not in str(events)


def test_the_organisation_feed_has_its_published_shifts_for_members_only(
    volunteer: User, outsider: User, organisation: Organisation, other_organisation
) -> None:
    published = ShiftFactory(organisation=organisation, title="Gepubliceerd")
    ShiftFactory(organisation=organisation, title="Klad", status=ShiftStatus.DRAFT)
    ShiftFactory(organisation=other_organisation, title="Elders")
    online = ShiftFactory(
        organisation=organisation,
        title="Online",
        mode=ShiftMode.ONLINE,
        meeting_link="https://meet.example.org/geheim",
        starts_at=published.starts_at + dt.timedelta(days=1),
        ends_at=published.ends_at + dt.timedelta(days=1),
    )

    url = _links(volunteer)["organisations"][str(organisation.pk)]
    events = _events(url)

    assert {str(e["summary"]) for e in events.values()} == {
        f"Gepubliceerd ({organisation.name})",
        f"Online ({organisation.name})",
    }
    assert online.meeting_link not in str(events)  # only confirmed volunteers get the link
    # A valid secret does not open another organisation's feed.
    foreign = url.replace(f"/{organisation.pk}.ics", f"/{other_organisation.pk}.ics")
    assert APIClient().get(foreign).status_code == 404
    assert str(other_organisation.pk) not in _links(volunteer)["organisations"]
    assert str(organisation.pk) not in _links(outsider)["organisations"]


def test_rotating_the_secret_stops_the_old_links(volunteer: User) -> None:
    old = _links(volunteer)["my_shifts"]
    assert _links(volunteer)["my_shifts"] == old  # stable until rotated
    new = client_for(volunteer).post("/api/v1/me/calendar/rotate/").json()["my_shifts"]

    assert new != old
    gone = APIClient().get(old, HTTP_ACCEPT="text/calendar")
    assert (gone.status_code, gone.json()["code"]) == (404, "not_found")
    assert APIClient().get(new).status_code == 200


def test_an_erased_account_has_no_feed(volunteer: User) -> None:
    url = _links(volunteer)["my_shifts"]
    erased = client_for(volunteer).delete("/api/v1/me/", {"password": PASSWORD}, format="json")
    assert erased.status_code == 204
    assert APIClient().get(url).status_code == 404


def test_a_cancelled_draft_never_appears_in_the_organisation_feed(
    volunteer: User, coordinator: User, organisation: Organisation
) -> None:
    published = ShiftFactory(organisation=organisation, title="Gepubliceerd")
    shift_cancel(actor=coordinator, shift_id=published.pk)
    draft = ShiftFactory(organisation=organisation, title="Klad", status=ShiftStatus.DRAFT)
    shift_cancel(actor=coordinator, shift_id=draft.pk)

    events = _events(_links(volunteer)["organisations"][str(organisation.pk)])

    assert {str(e["summary"]) for e in events.values()} == {f"Gepubliceerd ({organisation.name})"}
    assert str(next(iter(events.values()))["status"]) == "CANCELLED"

"""/my's calendar link: an absolute link (``PUBLIC_URL``) to the volunteer's own feed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from icalendar import Calendar
from pytest_django import Settings

from backend.accounts.models import VolunteerProfile
from backend.organisations.models import Organisation
from backend.shifts.services import claim_create
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import FakeTelegram, Person
from tests.conftest import client_for
from tests.factories import shift_at

pytestmark = pytest.mark.django_db(transaction=True)

SITE = "https://inzet.example.org"


def test_the_calendar_link_serves_the_volunteers_own_feed_with_their_shift(
    organisation: Organisation, settings: Settings
) -> None:
    settings.PUBLIC_URL = SITE
    anna = telegram_volunteer(organisation, 7301)
    assert VolunteerProfile.objects.get(user=anna).calendar_token is None
    shift = shift_at(organisation, starts_in=dt.timedelta(days=3), title="Zwemmen")
    claim_create(volunteer=anna, shift_id=shift.pk)
    answers: list[str] = []

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 7301)
        [listing] = await chat.send("/my")
        assert listing.button("My calendar link") == "calendar"
        [answer] = await chat.press("calendar")
        [again] = await chat.press("calendar")
        answers.extend([answer.text, again.text])

    play(scenario)

    # Made on first use and kept: the second press gives the same link.
    assert answers[0] == answers[1]
    [link] = re.findall(r"https://\S+", answers[0])
    token = VolunteerProfile.objects.get(user=anna).calendar_token
    assert token is not None
    # The same feed as the API's link to it.
    api_link = client_for(anna).get("/api/v1/me/calendar/").json()["my_shifts"]
    assert link == SITE + api_link.removeprefix("http://testserver")
    response = Client().get(link.removeprefix(SITE))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(event["SUMMARY"]) for event in events] == ["Zwemmen (WZC De Linde)"]


def test_without_the_sites_address_no_calendar_link_is_offered(
    organisation: Organisation, settings: Settings
) -> None:
    settings.PUBLIC_URL = ""
    telegram_volunteer(organisation, 7302)

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 7302)
        [listing] = await chat.send("/my")
        assert "calendar" not in [data for _label, data in listing.buttons]
        # An old button, from before the address was unset.
        [answer] = await chat.press("calendar")
        assert answer.text == "Calendar links are not available at the moment."

    play(scenario)

"""Before claiming, a volunteer reads a shift's details in the bot: its description, the town
(the street only once confirmed) or "online", what it asks, and the seats left; then claims
from there."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.accounts.models import VolunteerProfile
from backend.organisations.models import Organisation, Qualification
from backend.shifts.models import Claim, ClaimStatus, ShiftMode, ShiftVisibility
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import FakeTelegram, Person
from tests.factories import OrganisationFactory, ShiftFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_details_show_the_town_not_the_street_and_claim_from_there(
    organisation: Organisation,
) -> None:
    anna = telegram_volunteer(organisation, 6301)
    shift = ShiftFactory(
        organisation=organisation,
        title="Wandeling met bewoners",
        description="We wandelen een uurtje in het park. Stevige schoenen aan!",
        address="Kerkstraat 1, 9000 Gent",
        capacity=3,
        min_age=18,
    )
    first_aid = Qualification.objects.create(organisation=organisation, name="EHBO")
    anna.qualifications.create(qualification=first_aid)
    shift.required_qualifications.add(first_aid)
    VolunteerProfile.objects.filter(user=anna).update(birth_date=dt.date(1990, 3, 31))

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 6301)
        [listing] = await chat.send("/shifts")
        assert "Wandeling" in listing.text, listing.text
        assert [label for label, _ in listing.buttons][:2] == [
            "Claim 1: Wandeling met bewoners",
            "Details 1",
        ]
        [details] = await chat.press(listing.button("Details 1"), on=listing)
        assert "Stevige schoenen aan!" in details.text
        assert "In Gent: the address comes once you are confirmed." in details.text
        assert "Kerkstraat" not in details.text
        assert "Asks for: EHBO" in details.text and "From 18 years old." in details.text
        assert "3 seats left" in details.text
        [answer] = await chat.press(details.button("Claim this shift"), on=details)
        assert "You are confirmed for Wandeling met bewoners" in answer.text
        assert "Kerkstraat 1, 9000 Gent" in answer.text  # now it is theirs to know

    play(scenario)
    assert Claim.objects.get(shift=shift, volunteer=anna).status == ClaimStatus.CONFIRMED


def test_online_details_and_no_details_of_a_shift_one_may_not_see(
    organisation: Organisation,
) -> None:
    telegram_volunteer(organisation, 6302)
    online = ShiftFactory(
        organisation=organisation,
        title="Telefonische babbel",
        mode=ShiftMode.ONLINE,
        address="",
        meeting_link="https://meet.example.org/geheim",
    )
    elsewhere = ShiftFactory(
        organisation=OrganisationFactory(), visibility=ShiftVisibility.MEMBERS, title="Geheim"
    )

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 6302)
        [details] = await chat.press(f"info:{online.pk}")
        assert "Online: the meeting link comes once you are confirmed." in details.text
        assert "meet.example.org" not in details.text
        [refused] = await chat.press(f"info:{elsewhere.pk}")
        assert "Geheim" not in refused.text

    play(scenario)

"""/suggest: a few shifts picked for the volunteer, each with why in words and the list's Claim
and Details buttons; pressing Claim runs the claim flow of /shifts (the information note
first when there is one)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from backend.accounts.models import VolunteerProfile
from backend.organisations.models import Organisation
from backend.shifts.models import Claim, ClaimStatus, ShiftStatus
from bots import messages
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import FakeTelegram, Person
from tests.bots.test_info_note import write_note
from tests.factories import UserFactory, shift_at

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_suggestion_says_why_and_its_claim_button_claims_it(organisation: Organisation) -> None:
    anna = telegram_volunteer(organisation, 6501, mode="on_site")
    soon = shift_at(organisation, starts_in=dt.timedelta(hours=20), title="Wandeling")
    shift_at(organisation, starts_in=dt.timedelta(days=9), title="Voorlezen")
    shift_at(organisation, starts_in=dt.timedelta(days=3), title="Online", mode="online")
    shift_at(organisation, starts_in=dt.timedelta(days=3), title="Draft", status=ShiftStatus.DRAFT)

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 6501)
        [listing] = await chat.send("/suggest")
        text = listing.text
        assert text.startswith("Picked for you:"), text
        assert "1. " in text and "Wandeling (WZC De Linde)" in text
        assert "Why: still needs people, soon, on site, as you prefer" in text
        assert "Why: still needs people, on site, as you prefer" in text
        assert text.index("Wandeling") < text.index("Voorlezen")
        assert "Online" not in text and "Draft" not in text
        assert [label for label, _ in listing.buttons] == [
            "Claim 1: Wandeling",
            "Details 1",
            "Claim 2: Voorlezen",
            "Details 2",
        ]
        [details] = await chat.press(listing.button("Details 1"), on=listing)
        assert "Wandeling (WZC De Linde)" in details.text
        [answer] = await chat.press(listing.button("Claim 1"), on=listing)
        assert answer.text.startswith("You are confirmed for Wandeling"), answer.text
        # Claimed, it is not suggested again.
        [again] = await chat.send("/suggest")
        assert "Wandeling" not in again.text and "Voorlezen" in again.text

    play(scenario)
    assert Claim.objects.get(shift=soon, volunteer=anna).status == ClaimStatus.CONFIRMED


def test_a_suggestion_of_an_organisation_with_a_note_to_read_shows_it_then_claims(
    organisation: Organisation,
) -> None:
    anna = telegram_volunteer(organisation, 6502)
    shift = shift_at(organisation, title="Wandeling met bewoners")
    write_note(organisation)

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 6502)
        [listing] = await chat.send("/suggest")
        [note] = await chat.press(listing.button("Claim 1"), on=listing)
        assert note.text.startswith("Information note of WZC De Linde, version 1")
        assert not await asyncio.to_thread(Claim.objects.exists)
        [confirmed] = await chat.press(note.button("I have read it"), on=note)
        assert confirmed.text.startswith("You are confirmed for Wandeling met bewoners")

    play(scenario)
    assert Claim.objects.get(shift=shift, volunteer=anna).status == ClaimStatus.CONFIRMED


def test_nothing_to_suggest_points_to_shifts_and_without_an_organisation_to_joining(
    organisation: Organisation,
) -> None:
    telegram_volunteer(organisation, 6503)
    newcomer = UserFactory()
    VolunteerProfile.objects.filter(user=newcomer).update(telegram_chat_id=6504, language="en")
    full = shift_at(organisation, capacity=1, title="Full")
    Claim.objects.create(shift=full, volunteer=UserFactory(), status=ClaimStatus.CONFIRMED)
    full.confirmed_count = 1
    full.save()

    async def scenario(fake: FakeTelegram) -> None:
        [member] = await Person(fake, 6503).send("/suggest")
        assert member.text == (
            "I have no shift to suggest to you right now. Send /shifts to see every shift "
            "you can take."
        )
        assert member.buttons == []
        [outsider] = await Person(fake, 6504).send("/suggest")
        assert outsider.text.startswith("You are not a member of an organisation yet")
        assert "/join" in outsider.text
        [stranger] = await Person(fake, 6505, language_code="en").send("/suggest")
        assert stranger.text.startswith("You do not have an account yet.")

    play(scenario)


def test_help_and_the_command_menu_list_it(organisation: Organisation) -> None:
    telegram_volunteer(organisation, 6506)

    async def scenario(fake: FakeTelegram) -> None:
        [helped] = await Person(fake, 6506).send("/help")
        assert "/suggest - a few shifts picked for you" in helped.text

    play(scenario)
    for language in ("nl", "en", "fr"):
        assert "suggest" in dict(messages.command_menu(language))

"""The age rules of Belgian volunteer law in the bot: a claim that needs the date of birth asks
for it and claims once it is given; a 15-year-old is offered the school attestation; a
younger volunteer hears why not."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from django.utils import timezone

from backend.accounts.models import User, VolunteerProfile
from backend.organisations.info_note import info_note_write
from backend.organisations.models import Organisation, Role
from backend.shifts.models import Claim, ClaimStatus, Shift
from backend.shifts.services import shift_local_date
from backend.telegram.models import TelegramAccount
from bots.handlers.claiming import read_date
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import FakeTelegram, Person
from tests.factories import MembershipFactory, ShiftFactory

pytestmark = pytest.mark.django_db(transaction=True)

QUESTION = "Before you claim this shift, I need your date of birth"
AGAIN = "Please send your date of birth like 31-03-2008 (day, month, year), or /cancel."


def profile(user: User) -> VolunteerProfile:
    return VolunteerProfile.objects.get(user=user)


def aged(years: int, shift: Shift) -> dt.date:
    """A date of birth that makes its volunteer ``years`` old on the shift's day."""
    day = shift_local_date(shift)
    return dt.date(day.year - years, day.month, 1)


def confirmed(user: User, shift: Shift) -> bool:
    return Claim.objects.filter(volunteer=user, shift=shift, status=ClaimStatus.CONFIRMED).exists()


@pytest.mark.parametrize(
    "text", ["31-03-2008", "31/03/2008", "31.03.2008", "2008-03-31", " 31-3-2008 "]
)
def test_a_date_of_birth_is_read_in_the_usual_ways(text: str) -> None:
    assert read_date(text) == dt.date(2008, 3, 31)


@pytest.mark.parametrize("text", ["31-02-2008", "31-03/2008", "2008/03/31", "31 March", "soon"])
def test_what_is_not_a_date_is_not_read_as_one(text: str) -> None:
    assert read_date(text) is None


def test_a_claim_that_needs_the_date_of_birth_asks_for_it_then_claims(
    organisation: Organisation,
) -> None:
    Organisation.objects.filter(pk=organisation.pk).update(requires_birth_date=True)
    anna = telegram_volunteer(organisation, 6201)
    shift = ShiftFactory(organisation=organisation, title="Wandeling met bewoners")

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 6201)
        # Listed although the date is still unknown: the bot asks for it.
        [listing] = await chat.send("/shifts")
        assert "Wandeling met bewoners" in listing.text
        [question] = await chat.press(listing.button("Claim 1"))
        assert question.text.startswith(QUESTION)
        [unreadable] = await chat.send("31-02-2008")
        assert unreadable.text == "I could not read that as a date.\n" + AGAIN
        [future] = await chat.send("31.12.2099")
        assert future.text == "A date of birth cannot be in the future.\n" + AGAIN
        saved, claimed = await chat.send("31/03/2000")
        assert saved.text == "Thank you, your date of birth is saved: 31 March 2000."
        assert claimed.text.startswith("You are confirmed for Wandeling met bewoners")
        # The question is answered: a date now is only text.
        [other] = await chat.send("01-01-2001")
        assert other.text.startswith("I only understand commands and buttons.")

    play(scenario)

    assert profile(anna).birth_date == dt.date(2000, 3, 31)
    assert confirmed(anna, shift)


def test_the_question_outlives_a_restart_of_the_bot(organisation: Organisation) -> None:
    """Two Applications, as after a restart (or a webhook update landing on another web
    process): the question is in the database, not in the bot's memory."""
    bram = telegram_volunteer(organisation, 6202)
    shift = ShiftFactory(organisation=organisation, title="Bingo", min_age=18)

    async def ask(fake: FakeTelegram) -> None:
        [question] = await Person(fake, 6202).press(f"claim:{shift.pk}")
        assert question.text.startswith(QUESTION)

    async def answer(fake: FakeTelegram) -> None:
        _saved, claimed = await Person(fake, 6202).send("2000-03-31")
        assert claimed.text.startswith("You are confirmed for Bingo")

    play(ask)
    account = TelegramAccount.objects.get(user=bram)
    assert account.birth_date_for_shift == shift.pk
    assert account.birth_date_asked_until > timezone.now()
    play(answer)

    assert confirmed(bram, shift)


def test_cancel_drops_the_question(organisation: Organisation) -> None:
    cora = telegram_volunteer(organisation, 6203)
    shift = ShiftFactory(organisation=organisation, min_age=18)

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 6203)
        await chat.press(f"claim:{shift.pk}")
        [dropped] = await chat.send("/cancel")
        assert dropped.text == "Fine, I did not claim the shift. Your date of birth was not saved."
        [text] = await chat.send("31-03-2000")
        assert text.text.startswith("I only understand commands and buttons.")

    play(scenario)

    assert profile(cora).birth_date is None
    assert not Claim.objects.exists()


def test_after_the_date_of_birth_the_information_note_comes_next(
    organisation: Organisation,
) -> None:
    dirk = telegram_volunteer(organisation, 6204)
    shift = ShiftFactory(organisation=organisation, title="Verhuisdag", min_age=18)
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    info_note_write(
        actor=admin,
        organisation_id=organisation.pk,
        purpose="Moving residents to the new wing.",
        legal_form="non_profit",
        insurer="Ethias",
        policy_number="45.123.678",
    )

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 6204)
        await chat.press(f"claim:{shift.pk}")
        _saved, note = await chat.send("31-03-2000")
        assert note.text.startswith("Information note of WZC De Linde, version 1")
        [claimed] = await chat.press(note.button("I have read it"), on=note)
        assert claimed.text.startswith("You are confirmed for Verhuisdag")

    play(scenario)

    assert confirmed(dirk, shift)


def test_a_fifteen_year_old_is_offered_the_school_attestation(organisation: Organisation) -> None:
    eva = telegram_volunteer(organisation, 6205)
    shift = ShiftFactory(organisation=organisation, title="Voorleesuur")
    VolunteerProfile.objects.filter(user=eva).update(birth_date=aged(15, shift))

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 6205)
        [listing] = await chat.send("/shifts")
        [offer] = await chat.press(listing.button("Claim 1"))
        assert offer.text.startswith("Volunteers must be at least 16 on the day of the shift")
        assert "Have you completed the first two years of secondary school?" in offer.text
        assert offer.buttons == [
            ("I have completed the first two years of secondary school", f"attest:{shift.pk}")
        ]
        assert not await asyncio.to_thread(Claim.objects.exists)
        [claimed] = await chat.press(offer.button("secondary school"), on=offer)
        assert claimed.text.startswith("You are confirmed for Voorleesuur")

    play(scenario)

    assert profile(eva).school_attestation is True
    assert confirmed(eva, shift)


def test_the_attestation_is_not_offered_when_the_shift_asks_more(
    organisation: Organisation,
) -> None:
    fien = telegram_volunteer(organisation, 6206)
    shift = ShiftFactory(organisation=organisation, min_age=18)
    VolunteerProfile.objects.filter(user=fien).update(birth_date=aged(15, shift))

    async def scenario(fake: FakeTelegram) -> None:
        [refused] = await Person(fake, 6206).press(f"claim:{shift.pk}")
        assert refused.text == "This shift asks volunteers to be at least 18 years old on its day."
        assert refused.buttons == []

    play(scenario)

    assert profile(fien).school_attestation is False


def test_a_fourteen_year_old_hears_why_not(organisation: Organisation) -> None:
    gust = telegram_volunteer(organisation, 6207)
    shift = ShiftFactory(organisation=organisation, title="Tuinieren")
    VolunteerProfile.objects.filter(user=gust).update(birth_date=aged(14, shift))

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 6207)
        [listing] = await chat.send("/shifts")
        assert "Tuinieren" not in listing.text
        [refused] = await chat.press(f"claim:{shift.pk}")
        assert refused.text == (
            "Volunteers must be at least 16 on the day of the shift, or 15 having completed "
            "the first two years of secondary school."
        )
        assert refused.buttons == []
        # A forged attestation button changes nothing for the age the service judges.
        [still] = await chat.press(f"attest:{shift.pk}")
        assert still.text == refused.text

    play(scenario)

    assert not Claim.objects.exists()
    assert not confirmed(gust, shift)

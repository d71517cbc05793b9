"""An organisation that asks every volunteer's date of birth: joining it (with /join, a deep
link, or at the end of the sign-up) asks the date right away, not only when a claim needs it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.accounts.models import Benefit, User, VolunteerProfile
from backend.organisations.models import InviteCode, Membership, Organisation
from backend.shifts.models import Claim, ClaimStatus
from backend.telegram import services as telegram_services
from backend.telegram.models import TelegramAccount
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import FakeTelegram, Person
from tests.factories import ShiftFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

QUESTION = (
    "WZC De Linde asks every volunteer's date of birth: some of its shifts have a minimum age."
)
THANKS = "Thank you, your date of birth is saved: 31 March 2000."


@pytest.fixture
def asks_birth_date(organisation: Organisation) -> Organisation:
    Organisation.objects.filter(pk=organisation.pk).update(requires_birth_date=True)
    InviteCode.objects.create(organisation=organisation, code="LINDE2026")
    return organisation


def birth_date(user: User) -> dt.date | None:
    return VolunteerProfile.objects.get(user=user).birth_date


def question_open(user: User) -> bool:
    return telegram_services.birth_date_question_pending(user=user) is not None


def test_join_asks_the_date_of_birth_and_the_answer_is_stored_without_a_claim(
    asks_birth_date: Organisation, other_organisation: Organisation
) -> None:
    anna = telegram_volunteer(other_organisation, 7301)
    ShiftFactory(organisation=asks_birth_date, title="Wandeling met bewoners")

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 7301)
        joined, question = await chat.send("/join LINDE2026")
        assert joined.text == "You joined WZC De Linde."
        assert question.text == (
            QUESTION
            + "\nPlease send it like 31-03-2008 (day, month, year). Send /cancel to give it later."
        )
        [unreadable] = await chat.send("next week")
        assert unreadable.text.startswith("I could not read that as a date.")
        [thanks] = await chat.send("31-03-2000")
        assert thanks.text == THANKS

    play(scenario)

    assert birth_date(anna) == dt.date(2000, 3, 31)
    assert not question_open(anna)
    assert not Claim.objects.exists()


def test_a_known_date_of_birth_is_not_asked_again(asks_birth_date: Organisation) -> None:
    bram = UserFactory()
    VolunteerProfile.objects.filter(user=bram).update(
        telegram_chat_id=7302, language="en", birth_date=dt.date(1990, 1, 1)
    )

    async def scenario(fake: FakeTelegram) -> None:
        [joined] = await Person(fake, 7302).send("/join LINDE2026")
        assert joined.text == "You joined WZC De Linde."

    play(scenario)

    assert not question_open(bram)


def test_a_deep_link_of_a_volunteer_with_an_account_asks_it_too(
    asks_birth_date: Organisation, other_organisation: Organisation
) -> None:
    cora = telegram_volunteer(other_organisation, 7303)

    async def scenario(fake: FakeTelegram) -> None:
        _welcome_back, joined, question = await Person(fake, 7303).send("/start LINDE2026")
        assert joined.text == "You joined WZC De Linde."
        assert question.text.startswith(QUESTION)

    play(scenario)

    assert question_open(cora)


def test_cancel_leaves_the_date_for_later(
    asks_birth_date: Organisation, other_organisation: Organisation
) -> None:
    dirk = telegram_volunteer(other_organisation, 7304)

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 7304)
        await chat.send("/join LINDE2026")
        [later] = await chat.send("/cancel")
        assert later.text == (
            "Fine, your date of birth was not saved. I will ask for it when a shift needs it."
        )
        [text] = await chat.send("31-03-2000")
        assert text.text.startswith("I only understand commands and buttons.")

    play(scenario)

    assert birth_date(dirk) is None
    assert Membership.objects.filter(user=dirk, organisation=asks_birth_date).exists()


def test_the_sign_up_asks_it_last_and_a_c45b_day_is_told_apart_from_it(
    asks_birth_date: Organisation,
) -> None:
    """Both questions open at once: a day less than 15 years ago is the C45B's, an older one
    the date of birth."""
    handed_in = timezone.localdate() - dt.timedelta(days=3)

    async def scenario(fake: FakeTelegram) -> None:
        eva = Person(fake, 7305, first_name="Eva", language_code="en")
        [question] = await eva.send("/start LINDE2026")
        [question] = await eva.press(question.button("English"))
        [question] = await eva.press(question.button("Eva"))
        [question] = await eva.press(question.button("Online"))
        welcome, joined, offer, birth = await eva.send("I agree, without phone number")
        assert welcome.text.startswith("Welcome, Eva!")
        assert joined.text == "You joined WZC De Linde."
        assert offer.buttons == [("I receive a benefit", "set:ben")]
        assert birth.text.startswith(QUESTION)
        [choice] = await eva.press(offer.button("I receive a benefit"), on=offer)
        _saved, c45b = await eva.press(choice.button("Unemployment benefit"), on=choice)
        assert c45b.text.startswith("On which day did you hand in the C45B?")
        [saved] = await eva.send(handed_in.strftime("%d-%m-%Y"))
        assert saved.text.startswith("Saved: you handed in the C45B on")
        [thanks] = await eva.send("31-03-2000")
        assert thanks.text == THANKS

    play(scenario)

    profile = VolunteerProfile.objects.get(telegram_chat_id=7305)
    assert profile.birth_date == dt.date(2000, 3, 31)
    assert (profile.benefit, profile.c45b_handed_in_on) == (Benefit.UNEMPLOYMENT, handed_in)
    assert not question_open(profile.user)


def test_a_claim_waiting_for_the_date_keeps_waiting_through_a_join(
    asks_birth_date: Organisation, other_organisation: Organisation
) -> None:
    fien = telegram_volunteer(other_organisation, 7306)
    shift = ShiftFactory(organisation=other_organisation, title="Bingo", min_age=18)

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 7306)
        [question] = await chat.press(f"claim:{shift.pk}")
        assert question.text.startswith("Before you claim this shift, I need your date of birth")
        _joined, _question = await chat.send("/join LINDE2026")
        thanks, claimed = await chat.send("31-03-2000")
        assert thanks.text == THANKS
        assert claimed.text.startswith("You are confirmed for Bingo")

    play(scenario)

    assert Claim.objects.filter(volunteer=fien, shift=shift, status=ClaimStatus.CONFIRMED).exists()


def test_an_expired_claim_question_is_not_revived_by_asking_without_a_shift(
    organisation: Organisation,
) -> None:
    gust = telegram_volunteer(organisation, 7307)
    telegram_services.birth_date_question_ask(user=gust, shift_id=41)
    TelegramAccount.objects.filter(user=gust).update(
        birth_date_asked_until=timezone.now() - dt.timedelta(minutes=1)
    )
    assert telegram_services.birth_date_question_pending(user=gust) is None

    telegram_services.birth_date_question_ask(user=gust, shift_id=None)

    assert telegram_services.birth_date_question_pending(
        user=gust
    ) == telegram_services.BirthDateQuestion(shift_id=None)
    assert telegram_services.birth_date_question_close(
        user=gust
    ) == telegram_services.BirthDateQuestion(shift_id=None)
    assert telegram_services.birth_date_question_close(user=gust) is None

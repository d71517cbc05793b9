"""Benefits in the bot: the volunteer says which one they receive (in /settings, or from the
button at the end of the sign-up), hears the domain's advice for it in their language, and for
unemployment benefit tells the day they handed in the C45B."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from django.utils import formats, timezone, translation

from backend.accounts.benefits import benefit_advice, objection_ends_on
from backend.accounts.models import Benefit, User, VolunteerProfile
from backend.organisations.models import Organisation
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import Call, FakeTelegram, Person

pytestmark = pytest.mark.django_db(transaction=True)

C45B_QUESTION = "On which day did you hand in the C45B?"
LABELS = [
    "No benefit",
    "Unemployment benefit",
    "Integration income (leefloon)",
    "Sickness or invalidity benefit",
]


def advice(benefit: str, language: str = "en") -> str:
    with translation.override(language):
        return benefit_advice(benefit)


def stored(user: User) -> tuple[str, dt.date | None]:
    profile = VolunteerProfile.objects.get(user=user)
    return profile.benefit, profile.c45b_handed_in_on


def long_date(day: dt.date) -> str:
    with translation.override("en"):
        return formats.date_format(day, "j F Y")


async def benefit_choice(chat: Person) -> Call:
    [menu] = await chat.send("/settings")
    [choice] = await chat.press(menu.button("Benefit"), on=menu)
    assert [label for label, _data in choice.buttons] == LABELS
    return choice


@pytest.mark.parametrize(
    ("label", "benefit", "saved"),
    [
        (
            "Integration income (leefloon)",
            Benefit.INTEGRATION_INCOME,
            "Saved: you receive integration income (leefloon).",
        ),
        (
            "Sickness or invalidity benefit",
            Benefit.SICKNESS,
            "Saved: you receive sickness or invalidity benefit.",
        ),
    ],
)
def test_choosing_a_benefit_in_settings_gives_its_advice(
    organisation: Organisation, label: str, benefit: str, saved: str
) -> None:
    anna = telegram_volunteer(organisation, 7201)

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 7201)
        choice = await benefit_choice(chat)
        [answer] = await chat.press(choice.button(label), on=choice)
        assert answer.method == "editMessageText"
        assert answer.text == f"{saved}\n\n{advice(benefit)}"
        assert answer.buttons == []

    play(scenario)

    assert stored(anna) == (benefit, None)


def test_the_advice_comes_in_the_volunteers_language(organisation: Organisation) -> None:
    telegram_volunteer(organisation, 7202, language="fr")

    async def scenario(fake: FakeTelegram) -> None:
        [answer] = await Person(fake, 7202).press("ben:sickness")
        assert answer.text.endswith(advice(Benefit.SICKNESS, "fr"))

    play(scenario)


def test_no_benefit_clears_the_one_said_before(organisation: Organisation) -> None:
    bram = telegram_volunteer(organisation, 7203)
    VolunteerProfile.objects.filter(user=bram).update(
        benefit=Benefit.UNEMPLOYMENT, c45b_handed_in_on=dt.date(2026, 1, 5)
    )

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 7203)
        [menu] = await chat.send("/settings")
        assert "Benefit: unemployment benefit, C45B handed in on 5 January 2026" in menu.text
        choice = await benefit_choice(chat)
        [answer] = await chat.press(choice.button("No benefit"), on=choice)
        assert answer.text == "Saved: you receive no benefit."
        [menu] = await chat.send("/settings")
        assert "Benefit: none" in menu.text

    play(scenario)

    assert stored(bram) == ("", None)


def test_unemployment_benefit_asks_the_c45b_day_and_today_stores_it(
    organisation: Organisation,
) -> None:
    cora = telegram_volunteer(organisation, 7204)
    today = timezone.localdate()

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 7204)
        choice = await benefit_choice(chat)
        saved, question = await chat.press(choice.button("Unemployment benefit"), on=choice)
        assert saved.text == (
            "Saved: you receive unemployment benefit.\n\n" + advice(Benefit.UNEMPLOYMENT)
        )
        assert question.text.startswith(C45B_QUESTION + "\n")
        assert question.buttons == [("Today", "c45b:today"), ("Not yet", "c45b:notyet")]
        [done] = await chat.press(question.button("Today"), on=question)
        assert done.text.startswith(
            f"Saved: you handed in the C45B on {long_date(today)}. The RVA may object until "
            f"{long_date(objection_ends_on(today))}"
        )

    play(scenario)

    assert stored(cora) == (Benefit.UNEMPLOYMENT, today)


def test_a_typed_day_answers_the_c45b_question(organisation: Organisation) -> None:
    dirk = telegram_volunteer(organisation, 7205)
    day = timezone.localdate() - dt.timedelta(days=10)
    future = timezone.localdate() + dt.timedelta(days=3)

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 7205)
        choice = await benefit_choice(chat)
        await chat.press(choice.button("Unemployment benefit"), on=choice)
        [refused] = await chat.send(future.strftime("%d-%m-%Y"))
        assert refused.text == (
            "That day is still to come.\nSend the day you handed in the C45B, like 31-03-2026."
        )
        [done] = await chat.send(day.strftime("%d/%m/%Y"))
        assert done.text.startswith(f"Saved: you handed in the C45B on {long_date(day)}.")
        # Answered: a date now is only text again.
        [other] = await chat.send(day.strftime("%d-%m-%Y"))
        assert other.text.startswith("I only understand commands and buttons.")

    play(scenario)

    assert stored(dirk) == (Benefit.UNEMPLOYMENT, day)


def test_not_yet_stores_no_day_and_a_day_sent_later_is_taken(organisation: Organisation) -> None:
    eva = telegram_volunteer(organisation, 7206)
    VolunteerProfile.objects.filter(user=eva).update(
        benefit=Benefit.UNEMPLOYMENT, c45b_handed_in_on=dt.date(2025, 6, 2)
    )
    later = timezone.localdate() - dt.timedelta(days=1)
    days: list[tuple[str, dt.date | None]] = []

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 7206)
        # Choosing unemployment benefit again asks the day anew.
        _saved, question = await chat.press("ben:unemployment")
        [answer] = await chat.press(question.button("Not yet"), on=question)
        assert answer.text.startswith("Fine. Once you have handed in the C45B, send me the day")
        days.append(await asyncio.to_thread(stored, eva))
        [done] = await chat.send(later.isoformat())
        assert done.text.startswith(f"Saved: you handed in the C45B on {long_date(later)}.")

    play(scenario)

    assert days == [(Benefit.UNEMPLOYMENT, None)]
    assert stored(eva) == (Benefit.UNEMPLOYMENT, later)


def test_an_old_c45b_button_after_another_benefit_changes_nothing(
    organisation: Organisation,
) -> None:
    fien = telegram_volunteer(organisation, 7207)
    VolunteerProfile.objects.filter(user=fien).update(benefit=Benefit.SICKNESS)

    async def scenario(fake: FakeTelegram) -> None:
        [answer] = await Person(fake, 7207).press("c45b:today")
        assert "This button is out of date" in answer.text

    play(scenario)

    assert stored(fien) == (Benefit.SICKNESS, None)


def test_the_sign_up_ends_with_a_button_for_volunteers_with_a_benefit(db: None) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        gust = Person(fake, 7208, first_name="Gust", language_code="en")
        [question] = await gust.send("/start")
        [question] = await gust.press(question.button("English"))
        [question] = await gust.press(question.button("Gust"))
        [question] = await gust.press(question.button("Online"))
        welcome, offer = await gust.send("I agree, without phone number")
        assert welcome.text.startswith("Welcome, Gust! You are signed up.")
        assert welcome.params["reply_markup"] == {"remove_keyboard": True}
        assert offer.text.startswith("Do you receive unemployment benefit")
        assert offer.buttons == [("I receive a benefit", "set:ben")]
        [choice] = await gust.press(offer.button("I receive a benefit"), on=offer)
        assert choice.method == "editMessageText"
        assert [label for label, _data in choice.buttons] == LABELS
        [answer] = await gust.press(choice.button("Sickness or invalidity benefit"), on=choice)
        assert answer.text.endswith(advice(Benefit.SICKNESS))

    play(scenario)

    profile = VolunteerProfile.objects.get(telegram_chat_id=7208)
    assert (profile.benefit, profile.c45b_handed_in_on) == (Benefit.SICKNESS, None)


def test_a_forged_benefit_is_not_taken(organisation: Organisation) -> None:
    hans = telegram_volunteer(organisation, 7209)

    async def scenario(fake: FakeTelegram) -> None:
        [answer] = await Person(fake, 7209).press("ben:pension")
        assert "This button is out of date" in answer.text

    play(scenario)

    assert stored(hans) == ("", None)

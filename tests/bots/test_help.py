from __future__ import annotations

import pytest

from backend.organisations.models import Organisation
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import FakeTelegram, Person

pytestmark = pytest.mark.django_db(transaction=True)


def test_unknown_commands_and_free_text_get_a_short_help_answer(
    organisation: Organisation,
) -> None:
    telegram_volunteer(organisation, 9301)

    async def scenario(fake: FakeTelegram) -> None:
        anna = Person(fake, 9301)
        [answer] = await anna.send("/wat")
        assert answer.text == "I do not know that command.\nSend /help to see what I can do."
        [answer] = await anna.send("Hallo, kan ik morgen helpen?")
        assert answer.text.startswith("I only understand commands and buttons.")
        [answer] = await anna.send("/help")
        assert "/shifts" in answer.text and "/settings" in answer.text

    play(scenario)


def test_a_newcomer_is_answered_in_telegrams_language_until_they_choose(db: None) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        [french] = await Person(fake, 9302, language_code="fr").send("bonjour")
        assert french.text.startswith("Je ne comprends que les commandes et les boutons.")
        [dutch] = await Person(fake, 9303, language_code="de").send("hallo")
        assert dutch.text.startswith("Ik begrijp alleen commando's en knoppen.")

    play(scenario)

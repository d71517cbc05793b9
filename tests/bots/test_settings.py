from __future__ import annotations

import pytest

from backend.accounts.models import User, VolunteerProfile
from backend.notifications.services import reminder_offsets
from backend.organisations.models import Organisation
from backend.shifts.models import ClaimStatus
from backend.shifts.services import claim_create
from backend.telegram.models import TelegramAccount
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import FakeTelegram, Person
from tests.factories import ShiftFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_switching_language_translates_every_answer_after_it(organisation: Organisation) -> None:
    user = telegram_volunteer(organisation, 8001, language="en")

    async def scenario(fake: FakeTelegram) -> None:
        anna = Person(fake, 8001)
        [menu] = await anna.send("/settings")
        assert "Language: English" in menu.text
        [choice] = await anna.press(menu.button("Language"), on=menu)
        done, settings = await anna.press(choice.button("Français"), on=choice)
        assert done.text == "C'est fait : je parlerai français à partir de maintenant."
        assert "Langue : Français" in settings.text
        [help_text] = await anna.send("/help")
        assert "Voici ce que je sais faire :" in help_text.text
        done, _settings = await anna.press("lang:nl")
        assert done.text == "Klaar: ik spreek vanaf nu Nederlands."
        [shifts] = await anna.send("/shifts")
        assert "Er zijn nu geen open shifts voor jou" in shifts.text

    play(scenario)

    assert VolunteerProfile.objects.get(user=user).language == "nl"


def test_mode_preference_and_reminders_are_saved(organisation: Organisation) -> None:
    user = telegram_volunteer(organisation, 8002, mode="both")

    async def scenario(fake: FakeTelegram) -> None:
        bram = Person(fake, 8002)
        [menu] = await bram.send("/settings")
        [choice] = await bram.press(menu.button("On site or online"), on=menu)
        [saved] = await bram.press(choice.button("Online"), on=choice)
        assert saved.text == "Saved: you help online."
        [menu] = await bram.send("/settings")
        assert "Reminders: on" in menu.text
        [off] = await bram.press(menu.button("Turn reminders off"), on=menu)
        assert off.text == "Reminders are off."

    play(scenario)

    assert VolunteerProfile.objects.get(user=user).mode_preference == "online"
    assert TelegramAccount.objects.get(user=user).reminders_enabled is False


def test_delete_my_data_erases_the_volunteer_and_promotes_the_waitlist(
    organisation: Organisation,
    make_volunteer,  # type: ignore[no-untyped-def]
) -> None:
    user = telegram_volunteer(organisation, 8003, name="Cora Claes")
    VolunteerProfile.objects.filter(user=user).update(phone="+32470000000", postcode="9000")
    shift = ShiftFactory(organisation=organisation, capacity=1)
    mine = claim_create(volunteer=user, shift_id=shift.pk).claim
    waiting = claim_create(volunteer=make_volunteer(), shift_id=shift.pk).claim

    async def scenario(fake: FakeTelegram) -> None:
        cora = Person(fake, 8003)
        [menu] = await cora.send("/settings")
        [question] = await cora.press(menu.button("Delete my data"), on=menu)
        assert "This cannot be undone" in question.text
        [gone] = await cora.press(question.button("Yes, delete my data"), on=question)
        assert "Your data has been deleted" in gone.text
        [after] = await cora.send("/my")
        assert "Stuur /start om je in te schrijven" in after.text

    play(scenario)

    user.refresh_from_db()
    profile = VolunteerProfile.objects.get(user=user)
    assert (user.email, user.is_active, user.has_usable_password()) == (None, False, False)
    assert (profile.display_name, profile.phone, profile.postcode) == ("—", "", "")
    assert profile.telegram_chat_id is None and profile.consent_at is None
    mine.refresh_from_db()
    waiting.refresh_from_db()
    assert mine.status == ClaimStatus.CANCELLED
    assert waiting.status == ClaimStatus.CONFIRMED
    assert User.objects.filter(pk=user.pk).exists()  # past claims still count


def test_saying_no_to_delete_keeps_everything(organisation: Organisation) -> None:
    user = telegram_volunteer(organisation, 8004)

    async def scenario(fake: FakeTelegram) -> None:
        dirk = Person(fake, 8004)
        [menu] = await dirk.send("/settings")
        [question] = await dirk.press(menu.button("Delete my data"), on=menu)
        [kept] = await dirk.press(question.button("No"), on=question)
        assert kept.text == "Nothing was deleted."

    play(scenario)

    assert VolunteerProfile.objects.get(user=user).telegram_chat_id == 8004


def test_choosing_when_to_be_reminded(organisation: Organisation) -> None:
    user = telegram_volunteer(organisation, 8005, language="nl")
    TelegramAccount.objects.update_or_create(user=user, defaults={"reminders_enabled": False})

    async def scenario(fake: FakeTelegram) -> None:
        eva = Person(fake, 8005)
        [menu] = await eva.send("/settings")
        assert "Herinneringen: uit" in menu.text
        [choice] = await eva.press(menu.button("Wanneer herinneren"), on=menu)
        assert choice.text == "Wanneer wil je een herinnering voor een shift die je nam?"
        [saved] = await eva.press(choice.button("1 uur op voorhand"), on=choice)
        assert saved.text == (
            "Bewaard: ik herinner je voortaan 1 uur op voorhand aan elke shift die je neemt."
        )
        [menu] = await eva.send("/settings")
        assert "Herinneringen: aan, 1 uur op voorhand" in menu.text
        [choice] = await eva.press(menu.button("Wanneer herinneren"), on=menu)
        await eva.press(choice.button("2 dagen en 2 uur op voorhand"), on=choice)

    play(scenario)

    # Choosing a time turns reminders on; the next claim's reminders are planned at it.
    assert TelegramAccount.objects.get(user=user).reminders_enabled is True
    assert reminder_offsets(user_id=user.pk) == [2 * 24 * 60, 2 * 60]

from __future__ import annotations

import pytest

from backend.accounts.models import User, VolunteerProfile
from backend.organisations.models import InviteCode, Membership, Organisation
from backend.telegram.models import SignupDraft
from tests.bots.conftest import play
from tests.bots.fake_telegram import FakeTelegram, Person

pytestmark = pytest.mark.django_db(transaction=True)


def test_deep_link_signs_up_and_joins_the_organisation(organisation: Organisation) -> None:
    InviteCode.objects.create(organisation=organisation, code="LINDE2026")

    async def scenario(fake: FakeTelegram) -> None:
        anna = Person(fake, 5001, first_name="Anna", language_code="en")
        [question] = await anna.send("/start LINDE2026")
        assert [label for label, _ in question.buttons] == ["Nederlands", "English", "Français"]
        [question] = await anna.press(question.button("English"))
        assert "Anna" in question.text
        [question] = await anna.press(question.button("Anna"))
        assert "Where would you like to help?" in question.text
        [question] = await anna.press(question.button("On site"))
        assert "postcode" in question.text
        [question] = await anna.send("9000 Gent")
        assert "Do you agree?" in question.text
        answers = await anna.share_contact("+32470123456")
        assert "Welcome, Anna! You are signed up." in answers[0].text
        assert answers[0].params["reply_markup"] == {"remove_keyboard": True}
        assert answers[1].text == "You joined WZC De Linde."

    play(scenario)

    profile = VolunteerProfile.objects.select_related("user").get(telegram_chat_id=5001)
    assert profile.user.email is None
    assert not profile.user.has_usable_password()
    assert (profile.display_name, profile.language, profile.mode_preference) == (
        "Anna",
        "en",
        "on_site",
    )
    assert (profile.postcode, profile.phone) == ("9000 Gent", "+32470123456")
    assert profile.consent_at is not None
    assert Membership.objects.filter(user=profile.user, organisation=organisation).exists()
    assert not SignupDraft.objects.exists()


def test_online_only_volunteer_skips_the_postcode_and_may_decline_the_phone(db: None) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        bram = Person(fake, 5002, first_name="Bram", language_code="en")
        [question] = await bram.send("/start")
        [question] = await bram.press(question.button("English"))
        [question] = await bram.send("Bram Janssens")
        [question] = await bram.press(question.button("Online"))
        assert "Do you agree?" in question.text
        labels = [label for label, _ in question.buttons]
        assert labels == ["I agree and share my phone number", "I agree, without phone number"]
        done, _benefit_offer = await bram.send("I agree, without phone number")
        assert "Welcome, Bram Janssens!" in done.text

    play(scenario)

    profile = VolunteerProfile.objects.get(telegram_chat_id=5002)
    assert (profile.display_name, profile.mode_preference, profile.phone) == (
        "Bram Janssens",
        "online",
        "",
    )


def test_free_text_where_a_button_was_expected_re_asks_politely(db: None) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        cora = Person(fake, 5003, first_name="Cora", language_code="en")
        [question] = await cora.send("/start")
        [question] = await cora.press(question.button("English"))
        [question] = await cora.press(question.button("Cora"))
        polite, again = await cora.send("I don't know, what do you mean?")
        assert "Please choose one of the buttons" in polite.text
        assert again.text == question.text and again.buttons == question.buttons
        [question] = await cora.press(again.button("On site and online"))
        assert "postcode" in question.text

    play(scenario)

    draft = SignupDraft.objects.get(chat_id=5003)
    assert (draft.step, draft.mode_preference) == ("postcode", "both")
    assert not VolunteerProfile.objects.filter(telegram_chat_id=5003).exists()


def test_cancel_leaves_the_sign_up_and_saves_nothing(db: None) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        dirk = Person(fake, 5004, first_name="Dirk", language_code="en")
        [question] = await dirk.send("/start")
        await dirk.press(question.button("English"))
        [answer] = await dirk.send("/cancel")
        assert "Sign-up stopped" in answer.text
        # A button of the abandoned sign-up does nothing now.
        [answer] = await dirk.press(question.button("English"))
        assert "out of date" in answer.text

    play(scenario)

    assert not SignupDraft.objects.exists()
    assert not User.objects.exists()


def test_someone_elses_contact_card_is_not_taken_as_consent(db: None) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        eva = Person(fake, 5005, first_name="Eva", language_code="en")
        [question] = await eva.send("/start")
        [question] = await eva.press(question.button("English"))
        [question] = await eva.press(question.button("Eva"))
        [question] = await eva.press(question.button("Online"))
        polite, _again = await eva.share_contact("+32470999999", own=False)
        assert "Please choose one of the buttons" in polite.text

    play(scenario)

    assert not VolunteerProfile.objects.filter(telegram_chat_id=5005).exists()


def test_an_expired_invite_code_still_signs_up_and_says_so(organisation: Organisation) -> None:
    InviteCode.objects.create(organisation=organisation, code="OLD", revoked=True)

    async def scenario(fake: FakeTelegram) -> None:
        fien = Person(fake, 5006, first_name="Fien", language_code="en")
        [question] = await fien.send("/start OLD")
        [question] = await fien.press(question.button("English"))
        [question] = await fien.press(question.button("Fien"))
        [question] = await fien.press(question.button("Online"))
        done, invite, _benefit_offer = await fien.send("I agree, without phone number")
        assert "You are signed up" in done.text
        assert "invite code did not work" in invite.text

    play(scenario)

    profile = VolunteerProfile.objects.get(telegram_chat_id=5006)
    assert not Membership.objects.filter(user=profile.user).exists()


def test_the_sign_up_starts_in_the_language_of_the_phone_with_a_region_too(db: None) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        await Person(fake, 5091, first_name="Fleur", language_code="fr-BE").send("/start")
        await Person(fake, 5092, first_name="Gert", language_code="pt-br").send("/start")

    play(scenario)
    assert SignupDraft.objects.get(chat_id=5091).language == "fr"
    assert SignupDraft.objects.get(chat_id=5092).language == "nl"  # not offered: Dutch

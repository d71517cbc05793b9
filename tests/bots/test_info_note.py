"""The information note before a first claim: shown in the volunteer's language, "I have read
it" acknowledges that version and claims the shift; a changed note is shown again; a long
note comes in messages Telegram takes."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import polib
import pytest
from pytest_django import Settings

from backend.accounts.models import User
from backend.organisations.info_note import info_note_write
from backend.organisations.models import InfoNote, InfoNoteAcknowledgement, Organisation, Role
from backend.shifts.models import Claim, ClaimStatus, Shift
from bots.messages import MESSAGE_LIMIT, split_message
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import FakeTelegram, Person
from tests.factories import MembershipFactory, ShiftFactory

pytestmark = pytest.mark.django_db(transaction=True)

PURPOSE = "We walk with the residents of the care home and keep them company."
INSURER = "Ethias"
POLICY = "45.123.678"


def write_note(organisation: Organisation, **fields: Any) -> InfoNote:
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    values: dict[str, Any] = {
        "purpose": PURPOSE,
        "legal_form": "non_profit",
        "insurer": INSURER,
        "policy_number": POLICY,
        **fields,
    }
    return info_note_write(actor=admin, organisation_id=organisation.pk, **values)


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def acknowledgements(user: User) -> list[tuple[int, str]]:
    return list(
        InfoNoteAcknowledgement.objects.filter(user=user)
        .order_by("version")
        .values_list("version", "channel")
    )


def test_a_first_claim_shows_the_note_and_reading_it_confirms_the_claim(
    organisation: Organisation,
) -> None:
    anna = telegram_volunteer(organisation, 6101)
    shift = ShiftFactory(organisation=organisation, title="Wandeling met bewoners")
    write_note(
        organisation,
        allowance_kind="flat_rate",
        allowance_details="EUR 40.67 a day, paid every month.",
        discretion="What residents tell you stays between you and them.",
    )

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 6101)
        [listing] = await chat.send("/shifts")
        [note] = await chat.press(listing.button("Claim 1"))
        text = note.text
        assert text.startswith("Information note of WZC De Linde, version 1")
        for expected in (
            "Purpose of the organisation\n" + PURPOSE,
            "Legal form\nnon-profit association (vzw)",
            f"Civil-liability insurance\nInsurer: {INSURER}\nPolicy number: {POLICY}",
            "Allowance\nflat-rate allowance\nEUR 40.67 a day, paid every month.",
            "Discretion and professional secrecy\nWhat residents tell you stays",
        ):
            assert expected in text
        # Empty items, and the care decree's agreement note of an organisation outside it.
        for absent in ("Other insurance", "Responsible person", "Agreement note"):
            assert absent not in text
        assert note.buttons == [("I have read it", f"note:{organisation.pk}:1:{shift.pk}")]
        assert not await asyncio.to_thread(Claim.objects.exists)
        assert await asyncio.to_thread(acknowledgements, anna) == []

        [confirmed] = await chat.press(note.button("I have read it"), on=note)
        assert confirmed.text.startswith("You are confirmed for Wandeling met bewoners")
        [again] = await chat.press(note.button("I have read it"), on=note)
        assert again.text.startswith("You already had this shift.")

    play(scenario)

    assert acknowledgements(anna) == [(1, "bot")]
    assert Claim.objects.get(shift=shift, volunteer=anna).status == ClaimStatus.CONFIRMED
    shift.refresh_from_db()
    assert shift.confirmed_count == 1


FRENCH = {
    "Information note of %(organisation)s, version %(version)d": (
        "Note d'information de %(organisation)s, version %(version)d"
    ),
    "Purpose of the organisation": "Objectif de l'organisation",
    "Legal form": "Forme juridique",
    "Civil-liability insurance": "Assurance responsabilité civile",
    "Insurer: %(insurer)s": "Assureur : %(insurer)s",
    "Policy number: %(number)s": "Numéro de police : %(number)s",
    "non-profit association (vzw)": "association sans but lucratif (asbl)",
    "I have read it": "Je l'ai lu",
}


@pytest.fixture
def french_headings(tmp_path: Path, settings: Settings) -> None:
    """French texts for the note's headings, ahead of the project's catalogs (a new msgid is
    translated after ``makemessages``): what the test checks is that the bot picks the
    volunteer's language at runtime."""
    catalog = polib.POFile()
    catalog.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": "fr",
        "Plural-Forms": "nplurals=2; plural=(n > 1);",
    }
    for msgid, msgstr in FRENCH.items():
        catalog.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalog.save_as_mofile(str(folder / "django.mo"))
    # Changing LOCALE_PATHS drops Django's loaded catalogs (and the fixture's undoing does so
    # again), so the bot's threads read these.
    settings.LOCALE_PATHS = [tmp_path, *settings.LOCALE_PATHS]


@pytest.mark.usefixtures("french_headings")
def test_the_note_is_in_the_volunteers_language(organisation: Organisation) -> None:
    telegram_volunteer(organisation, 6102, language="fr")
    telegram_volunteer(organisation, 6103, language="en")
    shift = ShiftFactory(organisation=organisation, title="Atelier cuisine")
    write_note(organisation)

    async def scenario(fake: FakeTelegram) -> None:
        claude = Person(fake, 6102, language_code="fr")
        [note] = await claude.press(f"claim:{shift.pk}")
        assert note.text.startswith("Note d'information de WZC De Linde, version 1")
        for expected in (
            "Objectif de l'organisation\n" + PURPOSE,
            "Forme juridique\nassociation sans but lucratif (asbl)",
            f"Assurance responsabilité civile\nAssureur : {INSURER}\nNuméro de police : {POLICY}",
        ):
            assert expected in note.text
        assert "Purpose of the organisation" not in note.text
        [confirmed] = await claude.press(note.button("Je l'ai lu"), on=note)
        assert confirmed.text.startswith("Vous êtes confirmé pour Atelier cuisine")

        [english] = await Person(fake, 6103, language_code="fr").press(f"claim:{shift.pk}")
        assert "Purpose of the organisation\n" + PURPOSE in english.text

    play(scenario)


def test_the_care_decree_adds_the_agreement_note(organisation: Organisation) -> None:
    Organisation.objects.filter(pk=organisation.pk).update(care_decree=True)
    organisation.refresh_from_db()
    telegram_volunteer(organisation, 6104)
    shift = ShiftFactory(organisation=organisation)
    write_note(
        organisation,
        legal_form="de_facto",
        responsible_person="Mieke Peeters",
        work_nature="Walks and a chat with residents.",
        contact_person="Jan, the volunteer coordinator",
        ending_cooperation="Tell Jan a week ahead.",
    )

    async def scenario(fake: FakeTelegram) -> None:
        [note] = await Person(fake, 6104).press(f"claim:{shift.pk}")
        for expected in (
            "Legal form\nde facto association\nResponsible person: Mieke Peeters",
            "Agreement note (care decree)\n\nNature of the work\nWalks and a chat",
            "Contact person\nJan, the volunteer coordinator",
            "Ending the cooperation\nTell Jan a week ahead.",
        ):
            assert expected in note.text
        for empty in ("Duration and frequency", "Required training"):
            assert empty not in note.text

    play(scenario)


def test_a_note_changed_before_pressing_is_shown_again_and_the_old_one_not_acknowledged(
    organisation: Organisation,
) -> None:
    bram = telegram_volunteer(organisation, 6105)
    shift = ShiftFactory(organisation=organisation, title="Bingo")
    write_note(organisation)

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 6105)
        [old] = await chat.press(f"claim:{shift.pk}")
        assert "version 1" in old.text
        await asyncio.to_thread(
            write_note, organisation, purpose="We now also run the cafeteria.", material=True
        )
        changed, new = await chat.press(old.button("I have read it"), on=old)
        assert changed.text == (
            "The information note was changed since you opened it. Please read the new version."
        )
        assert new.text.startswith("Information note of WZC De Linde, version 2")
        assert "We now also run the cafeteria." in new.text
        assert new.buttons == [("I have read it", f"note:{organisation.pk}:2:{shift.pk}")]
        assert await asyncio.to_thread(acknowledgements, bram) == []
        assert not await asyncio.to_thread(Claim.objects.exists)

        [confirmed] = await chat.press(new.button("I have read it"), on=new)
        assert confirmed.text.startswith("You are confirmed for Bingo")

    play(scenario)

    assert acknowledgements(bram) == [(2, "bot")]


def test_a_volunteer_who_read_the_note_is_not_shown_it_again(organisation: Organisation) -> None:
    cora = telegram_volunteer(organisation, 6106)
    first = ShiftFactory(organisation=organisation, title="Voorleesuur")
    second = ShiftFactory(
        organisation=organisation,
        title="Tuinieren",
        starts_at=first.starts_at + dt.timedelta(days=7),
        ends_at=first.ends_at + dt.timedelta(days=7),
    )
    write_note(organisation)

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 6106)
        [note] = await chat.press(f"claim:{first.pk}")
        await chat.press(note.button("I have read it"), on=note)
        [confirmed] = await chat.press(f"claim:{second.pk}")
        assert confirmed.text.startswith("You are confirmed for Tuinieren")

    play(scenario)

    assert acknowledgements(cora) == [(1, "bot")]
    assert Claim.objects.filter(volunteer=cora, status=ClaimStatus.CONFIRMED).count() == 2


def test_a_long_note_comes_in_messages_telegram_takes(organisation: Organisation) -> None:
    dirk = telegram_volunteer(organisation, 6107)
    shift = ShiftFactory(organisation=organisation, title="Verhuisdag")
    # Four items at the service's 5,000 characters each, one with emoji (two UTF-16 code
    # units each, which is how Telegram counts).
    long_items = {
        "purpose": _words("purpose", 5000),
        "other_insurance": _words("insurance", 5000),
        "allowance_details": _words("allowance\N{GRINNING FACE}", 5000),
        "discretion": _words("secrecy", 5000),
    }
    write_note(organisation, allowance_kind="real_costs", **long_items)

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 6107)
        parts = await chat.press(f"claim:{shift.pk}")
        assert len(parts) >= 5
        assert all(0 < utf16_units(part.text) <= MESSAGE_LIMIT for part in parts)
        assert [bool(part.buttons) for part in parts] == [False] * (len(parts) - 1) + [True]
        assert parts[0].text.startswith("Information note of WZC De Linde, version 1")
        whole = " ".join(" ".join(part.text.split()) for part in parts)
        for text in long_items.values():
            assert " ".join(text.split()) in whole
        [confirmed] = await chat.press(parts[-1].button("I have read it"), on=parts[-1])
        assert confirmed.text.startswith("You are confirmed for Verhuisdag")

    play(scenario)

    assert acknowledgements(dirk) == [(1, "bot")]


def _words(word: str, length: int) -> str:
    """Numbered words, with a paragraph break now and then, ``length`` characters long."""
    words = [f"{word}{n}" + ("\n\n" if n % 40 == 39 else " ") for n in range(length)]
    return "".join(words)[:length].strip()


def test_split_message_cuts_between_words_and_counts_like_telegram() -> None:
    text = ("\N{GRINNING FACE}word " * 1000).strip()
    parts = split_message(text, limit=100)
    assert all(utf16_units(part) <= 100 for part in parts)
    assert " ".join(parts) == text
    # A word longer than a message is cut, and nothing is lost.
    unbroken = "x" * 250
    assert split_message(unbroken, limit=100) == ["x" * 100, "x" * 100, "x" * 50]


def test_a_button_for_another_organisations_note_claims_nothing(
    organisation: Organisation, other_organisation: Organisation
) -> None:
    eva = telegram_volunteer(organisation, 6108)
    shift = ShiftFactory(organisation=organisation)
    write_note(organisation)
    write_note(other_organisation)

    async def scenario(fake: FakeTelegram) -> None:
        [answer] = await Person(fake, 6108).press(f"note:{other_organisation.pk}:1:{shift.pk}")
        assert answer.text == "Not found."

    play(scenario)

    assert acknowledgements(eva) == []
    assert not Claim.objects.exists()
    assert Shift.objects.get(pk=shift.pk).confirmed_count == 0

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from django.utils import timezone

from backend.accounts.models import User
from backend.organisations.models import Organisation, Qualification, Role
from backend.shifts.models import Claim, ClaimStatus, Shift, ShiftMode, ShiftStatus
from backend.shifts.services import claim_create
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import FakeTelegram, Person
from tests.factories import MembershipFactory, ShiftFactory
from tests.realtime.conftest import access_token, board_path, communicator, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_claim_button_confirms_at_once_and_reveals_the_address(organisation: Organisation) -> None:
    telegram_volunteer(organisation, 6001)
    shift = ShiftFactory(organisation=organisation, title="Wandeling met bewoners", capacity=2)

    async def scenario(fake: FakeTelegram) -> None:
        anna = Person(fake, 6001)
        [listing] = await anna.send("/shifts")
        assert "Wandeling met bewoners (WZC De Linde)" in listing.text
        assert "2 seats left" in listing.text
        [answer] = await anna.press(listing.button("Claim 1"), on=listing)
        assert "You are confirmed for Wandeling met bewoners" in answer.text
        assert "Address: Kerkstraat 1, 9000 Gent" in answer.text
        [again] = await anna.send("/shifts")
        assert "no open shifts" in again.text

    play(scenario)

    shift.refresh_from_db()
    assert shift.confirmed_count == 1
    assert Claim.objects.get(shift=shift).status == ClaimStatus.CONFIRMED


def test_full_shift_waitlists_with_the_position(organisation: Organisation, make_volunteer) -> None:  # type: ignore[no-untyped-def]
    shift = ShiftFactory(organisation=organisation, title="Bingo", capacity=1)
    claim_create(volunteer=make_volunteer(), shift_id=shift.pk)
    claim_create(volunteer=make_volunteer(), shift_id=shift.pk)
    telegram_volunteer(organisation, 6002)

    async def scenario(fake: FakeTelegram) -> None:
        bram = Person(fake, 6002)
        [listing] = await bram.send("/shifts")
        assert "full, waitlist open" in listing.text
        [answer] = await bram.press(listing.button("Claim 1"))
        assert "is full. You are number 2 on the waitlist" in answer.text
        assert "Address" not in answer.text

    play(scenario)

    shift.refresh_from_db()
    assert (shift.confirmed_count, shift.waitlist_count) == (1, 2)


def test_online_lists_help_now_and_a_confirmed_claim_reveals_the_meeting_link(
    organisation: Organisation,
) -> None:
    telegram_volunteer(organisation, 6003, mode="on_site")
    soon = timezone.now() + dt.timedelta(minutes=30)
    ShiftFactory(
        organisation=organisation,
        title="Belronde",
        mode=ShiftMode.ONLINE,
        address="",
        meeting_link="https://meet.example.org/belronde",
        starts_at=soon,
        ends_at=soon + dt.timedelta(hours=1),
    )
    ShiftFactory(organisation=organisation, title="Tuinieren")

    async def scenario(fake: FakeTelegram) -> None:
        cora = Person(fake, 6003)
        # /shifts follows her preference (on site only); /online shows online engagements.
        [listing] = await cora.send("/shifts")
        assert "Tuinieren" in listing.text and "Belronde" not in listing.text
        [online] = await cora.send("/online")
        assert online.text.startswith("Online engagements:")
        assert "Help now!" in online.text and "Belronde" in online.text
        assert "Tuinieren" not in online.text
        [answer] = await cora.press(online.button("Claim 1"))
        assert "Meeting link: https://meet.example.org/belronde" in answer.text

    play(scenario)


def test_shifts_the_volunteer_cannot_take_are_not_listed(
    organisation: Organisation, other_organisation: Organisation
) -> None:
    volunteer = telegram_volunteer(organisation, 6004)
    first_aid = Qualification.objects.create(organisation=organisation, name="EHBO")
    needs_first_aid = ShiftFactory(organisation=organisation, title="EHBO-post")
    needs_first_aid.required_qualifications.add(first_aid)
    ShiftFactory(organisation=other_organisation, title="Elders")
    held = ShiftFactory(organisation=organisation, title="Al bezet")
    claim_create(volunteer=volunteer, shift_id=held.pk)
    ShiftFactory(
        organisation=organisation,
        title="Overlapt",
        starts_at=held.starts_at + dt.timedelta(hours=1),
        ends_at=held.ends_at + dt.timedelta(hours=1),
    )
    ShiftFactory(organisation=organisation, title="Klad", status=ShiftStatus.DRAFT)
    ShiftFactory(
        organisation=organisation,
        title="Volgende week",
        starts_at=held.starts_at + dt.timedelta(days=7),
        ends_at=held.ends_at + dt.timedelta(days=7),
    )

    async def scenario(fake: FakeTelegram) -> None:
        [listing] = await Person(fake, 6004).send("/shifts")
        assert "Volgende week" in listing.text
        for hidden in ("EHBO-post", "Elders", "Al bezet", "Overlapt", "Klad"):
            assert hidden not in listing.text
        assert [label for label, _data in listing.buttons] == [
            "Claim 1: Volgende week",
            "Details 1",
        ]

    play(scenario)


def test_a_refused_claim_says_why_in_plain_words(organisation: Organisation) -> None:
    telegram_volunteer(organisation, 6005)
    shift = ShiftFactory(organisation=organisation, title="Voorleesuur")

    async def scenario(fake: FakeTelegram) -> None:
        eva = Person(fake, 6005)
        [listing] = await eva.send("/shifts")
        await asyncio.to_thread(
            Shift.objects.filter(pk=shift.pk).update, status=ShiftStatus.CANCELLED
        )
        [answer] = await eva.press(listing.button("Claim 1"))
        assert answer.text == "This shift is not open for claims."

    play(scenario)

    assert not Claim.objects.exists()


def test_shift_list_pages_with_previous_and_next(organisation: Organisation) -> None:
    telegram_volunteer(organisation, 6006)
    start = timezone.now() + dt.timedelta(days=1)
    for day in range(7):
        ShiftFactory(
            organisation=organisation,
            title=f"Dag {day}",
            starts_at=start + dt.timedelta(days=day),
            ends_at=start + dt.timedelta(days=day, hours=1),
        )

    async def scenario(fake: FakeTelegram) -> None:
        fien = Person(fake, 6006)
        [first] = await fien.send("/shifts")
        assert "Dag 0" in first.text and "Dag 4" in first.text and "Dag 5" not in first.text
        assert [label for label, _ in first.buttons][-1] == "Next ▶"
        [second] = await fien.press(first.button("Next"), on=first)
        assert second.method == "editMessageText"
        assert "Dag 5" in second.text and "Dag 6" in second.text and "Dag 0" not in second.text
        assert [label for label, _ in second.buttons][-1] == "◀ Previous"

    play(scenario)


def test_a_claim_made_in_the_bot_reaches_the_connected_board(
    organisation: Organisation, coordinator: User
) -> None:
    telegram_volunteer(organisation, 6007)
    shift = ShiftFactory(organisation=organisation, title="Kerstmarkt", capacity=3)
    token = access_token(coordinator)

    async def scenario(fake: FakeTelegram) -> None:
        board = communicator(board_path(organisation.pk, f"token={token}"))
        accepted, _ = await board.connect()
        assert accepted
        try:
            assert (await board.receive_json_from())["type"] == "snapshot"
            gert = Person(fake, 6007)
            [listing] = await gert.send("/shifts")
            await gert.press(listing.button("Claim 1"))
            event = await receive_until(board, lambda m: m["type"] == "event")
            assert event["event"] == "claim.confirmed"
            assert event["shift"]["id"] == shift.pk
            assert event["shift"]["confirmed_count"] == 1
        finally:
            await board.disconnect()

    play(scenario)


def test_a_coordinator_can_use_the_bot_as_a_volunteer(organisation: Organisation) -> None:
    telegram_volunteer(organisation, 6008, role=Role.COORDINATOR)
    ShiftFactory(organisation=organisation, title="Kaartavond")

    async def scenario(fake: FakeTelegram) -> None:
        hans = Person(fake, 6008)
        [listing] = await hans.send("/shifts")
        [answer] = await hans.press(listing.button("Claim 1"))
        assert "You are confirmed for Kaartavond" in answer.text

    play(scenario)


def test_commands_before_sign_up_invite_to_start(db: None) -> None:
    MembershipFactory()

    async def scenario(fake: FakeTelegram) -> None:
        [answer] = await Person(fake, 6009, language_code="en").send("/shifts")
        assert "Send /start to sign up" in answer.text

    play(scenario)


def test_refusals_are_in_the_volunteers_language(organisation: Organisation) -> None:
    telegram_volunteer(organisation, 6010, language="nl")
    telegram_volunteer(organisation, 6011, language="fr")

    async def scenario(fake: FakeTelegram) -> None:
        [dutch] = await Person(fake, 6010).press("claim:987654")
        assert dutch.text == "Niet gevonden."
        [french] = await Person(fake, 6011).press("claim:987654")
        assert french.text == "Introuvable."

    play(scenario)


def test_the_list_says_when_claiming_opens(organisation: Organisation) -> None:
    telegram_volunteer(organisation, 6012)
    shift = ShiftFactory(organisation=organisation, title="Sinterklaasfeest")
    opens = shift.starts_at - dt.timedelta(hours=12)
    Shift.objects.filter(pk=shift.pk).update(claims_open_at=opens)

    async def scenario(fake: FakeTelegram) -> None:
        [listing] = await Person(fake, 6012).send("/shifts")
        assert "Sinterklaasfeest" in listing.text
        assert "claiming opens" in listing.text

    play(scenario)

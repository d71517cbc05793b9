"""Stand-ins and swaps in the bot, against the fake Bot API: asked from the cancel step (of
/my or of a reminder), the worker's message to those asked, their Accept / No thanks."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from backend.notifications.worker import Worker
from backend.organisations.models import Organisation
from backend.shifts.models import Claim, ClaimStatus, StandInRequest, StandInStatus
from backend.shifts.services import claim_create
from backend.telegram.callbacks import encode
from backend.telegram.client import BotApiClient
from backend.telegram.ratelimit import SharedLimiter
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import TOKEN, Call, FakeTelegram, Person
from tests.factories import shift_at

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _daytime() -> object:
    """At 11:00 in Brussels: the worker holds messages back in quiet hours."""
    local = timezone.localtime() + dt.timedelta(days=1)
    with time_machine.travel(local.replace(hour=11, minute=0), tick=True):
        yield


async def deliver(fake: FakeTelegram) -> None:
    """The notification worker sends what is due, as the worker process would."""
    worker = Worker(
        client=BotApiClient(token=TOKEN, base_url=fake.base_url),
        limiter=SharedLimiter(per_second=0, chat_interval=0),
    )
    await asyncio.to_thread(worker.run_until_idle)
    await asyncio.to_thread(worker.client.close)


def last_to(fake: FakeTelegram, chat_id: int) -> Call:
    return fake.sent_to(chat_id)[-1]


def test_a_stand_in_found_from_my_the_first_yes_wins_and_the_requester_is_told(
    organisation: Organisation,
) -> None:
    anna = telegram_volunteer(organisation, 8101, name="Anna")
    bram = telegram_volunteer(organisation, 8102, name="Bram")
    cora = telegram_volunteer(organisation, 8103, name="Cora")
    shift = shift_at(
        organisation, starts_in=dt.timedelta(days=4), title="Zwemmen", address="Dok 1, Gent"
    )
    mine = claim_create(volunteer=anna, shift_id=shift.pk).claim

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 8101)
        [listing] = await chat.send("/my")
        [question] = await chat.press(listing.button("Cancel 1"))
        assert "ask for a stand-in" in question.text
        [asked] = await chat.press(question.button("Find a stand-in"), on=question)
        assert asked.method == "editMessageText"
        assert asked.text.startswith("I asked 2 volunteers to take over Zwemmen")
        assert "You keep your place" in asked.text
        assert asked.button("I can come after all")

        await deliver(fake)
        ask = last_to(fake, 8102)
        assert ask.text.startswith("A volunteer cannot come to Zwemmen (WZC De Linde)")
        assert "Can you take over their place?" in ask.text
        # Nobody's name and no address before taking over.
        assert "Anna" not in ask.text and "Dok 1" not in ask.text
        [taken] = await Person(fake, 8102).press(ask.button("I'll take over"), on=ask)
        assert taken.text.startswith("Thank you! You take over Zwemmen (WZC De Linde)")
        assert "Where: Dok 1, Gent" in taken.text

        late = last_to(fake, 8103)
        [refused] = await Person(fake, 8103).press(late.button("I'll take over"), on=late)
        assert refused.text == "Someone else has already taken over this shift. Thank you anyway!"

        await deliver(fake)
        told = last_to(fake, 8101)
        assert told.text.startswith("Bram takes over your place on Zwemmen")

    play(scenario)

    assert Claim.objects.get(pk=mine.pk).status == ClaimStatus.CANCELLED
    assert Claim.objects.get(volunteer=bram, shift=shift).status == ClaimStatus.CONFIRMED
    assert not Claim.objects.filter(volunteer=cora, shift=shift).exists()


def test_from_a_reminders_cant_make_it_a_stand_in_is_asked_and_withdrawn(
    organisation: Organisation,
) -> None:
    anna = telegram_volunteer(organisation, 8201, name="Anna")
    telegram_volunteer(organisation, 8202, name="Bram")
    shift = shift_at(organisation, starts_in=dt.timedelta(days=4), title="Voorlezen")
    mine = claim_create(volunteer=anna, shift_id=shift.pk).claim

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 8201)
        # The reminder's "I can't make it" carries this callback.
        [question] = await chat.press(encode("cancel", mine.pk))
        [asked] = await chat.press(question.button("Find a stand-in"), on=question)
        [withdrawn] = await chat.press(asked.button("I can come after all"), on=asked)
        assert withdrawn.text == (
            "Fine: nobody is asked any more, and you keep your place on Voorlezen."
        )
        # The ask on its way to Bram is dropped: the request is no longer open.
        await deliver(fake)
        assert fake.sent_to(8202) == []

    play(scenario)

    assert StandInRequest.objects.get().status == StandInStatus.WITHDRAWN
    assert Claim.objects.get(pk=mine.pk).status == ClaimStatus.CONFIRMED


def test_too_close_to_the_start_only_cancelling_and_swapping_are_offered(
    organisation: Organisation,
) -> None:
    anna = telegram_volunteer(organisation, 8301)
    shift = shift_at(organisation, starts_in=dt.timedelta(hours=30), title="Koffie")
    mine = claim_create(volunteer=anna, shift_id=shift.pk).claim

    async def scenario(fake: FakeTelegram) -> None:
        [question] = await Person(fake, 8301).press(encode("cancel", mine.pk))
        labels = [label for label, _ in question.buttons]
        assert "Find a stand-in" not in labels
        assert "Swap with another shift" in labels

    play(scenario)


def test_a_swap_proposed_in_the_bot_and_confirmed_by_the_other_volunteer(
    organisation: Organisation,
) -> None:
    anna = telegram_volunteer(organisation, 8401, name="Anna")
    bram = telegram_volunteer(organisation, 8402, name="Bram")
    tuesday = shift_at(organisation, starts_in=dt.timedelta(days=3), title="Dinsdag")
    thursday = shift_at(
        organisation, starts_in=dt.timedelta(days=5), title="Donderdag", address="Markt 2"
    )
    claim_create(volunteer=anna, shift_id=tuesday.pk)
    claim_create(volunteer=bram, shift_id=thursday.pk)

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 8401)
        [listing] = await chat.send("/my")
        [question] = await chat.press(listing.button("Cancel 1"))
        [choice] = await chat.press(question.button("Swap with another shift"), on=question)
        assert choice.text.startswith("Which shift would you take instead of Dinsdag")
        [proposed] = await chat.press(choice.button("Donderdag"), on=choice)
        assert proposed.text.startswith("I asked 1 volunteer whether they want to swap")

        await deliver(fake)
        offer = last_to(fake, 8402)
        assert offer.text.startswith("Anna proposes a swap: you take Dinsdag (WZC De Linde)")
        assert "and they take your Donderdag" in offer.text
        [done] = await Person(fake, 8402).press(offer.button("Swap"), on=offer)
        assert done.text.startswith("Swapped! You now have Dinsdag")

        await deliver(fake)
        told = last_to(fake, 8401)
        assert told.text.startswith("Bram accepted your swap: you now have Donderdag")
        assert "Where: Markt 2" in told.text

    play(scenario)

    assert Claim.objects.get(volunteer=anna, shift=thursday).status == ClaimStatus.CONFIRMED
    assert Claim.objects.get(volunteer=bram, shift=tuesday).status == ClaimStatus.CONFIRMED

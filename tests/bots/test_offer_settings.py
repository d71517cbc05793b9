"""/settings' switches for stand-in requests, help-now alerts and the weekly digest, and a
help-now offer whose Claim button claims (the real bot and worker, the fake Bot API)."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from backend.accounts.models import VolunteerProfile
from backend.notifications.help_now import help_now_offer
from backend.notifications.worker import Worker
from backend.organisations.models import Organisation
from backend.shifts.models import Claim, ClaimStatus, ShiftMode
from backend.telegram.client import BotApiClient
from backend.telegram.ratelimit import SharedLimiter
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import TOKEN, FakeTelegram, Person
from tests.factories import ShiftFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_three_switches_show_in_settings_and_turn_over_with_their_buttons(
    organisation: Organisation,
) -> None:
    user = telegram_volunteer(organisation, 8101)

    async def scenario(fake: FakeTelegram) -> None:
        anna = Person(fake, 8101)
        [menu] = await anna.send("/settings")
        assert "Asked to stand in: on" in menu.text
        assert "Help-now alerts: off" in menu.text
        assert "Weekly digest: off" in menu.text
        [on] = await anna.press(menu.button("Turn help-now alerts on"), on=menu)
        assert on.text.startswith("Help-now alerts are on: when a shift near you")
        assert "At most 3 a day, never at night." in on.text
        [menu] = await anna.send("/settings")
        [on] = await anna.press(menu.button("Turn the weekly digest on"), on=menu)
        assert on.text.startswith("The weekly digest is on: on Monday mornings")
        [menu] = await anna.send("/settings")
        [off] = await anna.press(menu.button("Stop asking me to stand in"), on=menu)
        assert off.text == "You will no longer be asked to stand in for other volunteers."
        [menu] = await anna.send("/settings")
        assert "Asked to stand in: off" in menu.text
        assert "Help-now alerts: on" in menu.text
        assert "Weekly digest: on" in menu.text
        assert menu.button("Ask me to stand in") == "set:standin"
        assert menu.button("Turn help-now alerts off") == "set:helpnow"
        [off] = await anna.press(menu.button("Turn the weekly digest off"), on=menu)
        assert off.text == "The weekly digest is off."

    play(scenario)

    profile = VolunteerProfile.objects.get(user=user)
    assert (profile.stand_in_requests, profile.help_now_alerts, profile.weekly_digest) == (
        False,
        True,
        False,
    )


@time_machine.travel(dt.datetime(2030, 3, 4, 14, tzinfo=ZoneInfo("Europe/Brussels")), tick=True)
def test_a_help_now_offer_claims_the_shift_with_its_button(organisation: Organisation) -> None:
    user = telegram_volunteer(organisation, 8102, mode="online")
    VolunteerProfile.objects.filter(user=user).update(help_now_alerts=True)
    starts_at = (timezone.now() + dt.timedelta(hours=2)).replace(microsecond=0)
    shift = ShiftFactory(
        organisation=organisation,
        title="Belronde",
        mode=ShiftMode.ONLINE,
        address="",
        meeting_link="https://meet.example/belronde",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
        capacity=2,
    )
    assert help_now_offer(now=timezone.now()) == 1

    async def scenario(fake: FakeTelegram) -> None:
        worker = Worker(
            client=BotApiClient(token=TOKEN, base_url=fake.base_url),
            limiter=SharedLimiter(per_second=0, chat_interval=0),
        )
        # The worker sends the offer to the same fake Bot API the bot polls.
        await asyncio.to_thread(worker.run_until_idle)
        [offer] = fake.sent_to(8102)
        assert offer.text.startswith("Help needed soon: Belronde (WZC De Linde), ")
        assert ", online." in offer.text
        [answer] = await Person(fake, 8102).press(offer.button("Claim"))
        assert "Belronde" in answer.text

    play(scenario)

    claim = Claim.objects.get(volunteer=user, shift=shift)
    assert claim.status == ClaimStatus.CONFIRMED

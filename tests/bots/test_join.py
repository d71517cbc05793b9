"""A volunteer without an organisation is told how to join one, and joins with /join CODE."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.organisations.models import InviteCode, Membership, Organisation
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import FakeTelegram, Person
from tests.factories import shift_at

pytestmark = pytest.mark.django_db(transaction=True)


def test_without_an_organisation_the_bot_says_how_to_join_and_join_works(
    organisation: Organisation,
) -> None:
    anna = telegram_volunteer(organisation, 9401)
    Membership.objects.filter(user=anna).delete()
    shift_at(
        organisation, starts_in=dt.timedelta(days=2), title="Voorleesuur", visibility="members"
    )
    InviteCode.objects.create(organisation=organisation, code="LINDE2026")

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 9401)
        [empty] = await chat.send("/shifts")
        assert empty.text.startswith("You are not a member of an organisation yet")
        assert "/join" in empty.text
        [usage] = await chat.send("/join")
        assert usage.text.startswith("Send /join followed by the invite code")
        [wrong] = await chat.send("/join NOPE")
        assert wrong.text == "This invite code is not valid or has expired."
        [joined] = await chat.send("/join LINDE2026")
        assert joined.text == "You joined WZC De Linde."
        [listed] = await chat.send("/shifts")
        assert "Voorleesuur" in listed.text
        [helped] = await chat.send("/help")
        assert "/join CODE" in helped.text

    play(scenario)
    assert Membership.objects.filter(user=anna, organisation=organisation).exists()


def test_a_member_with_nothing_open_hears_to_look_later_not_to_join(
    organisation: Organisation,
) -> None:
    telegram_volunteer(organisation, 9402)

    async def scenario(fake: FakeTelegram) -> None:
        [empty] = await Person(fake, 9402).send("/shifts")
        assert empty.text == "There are no open shifts for you right now. Have a look later!"

    play(scenario)

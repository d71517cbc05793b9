from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from backend.accounts.models import User, VolunteerProfile
from backend.telegram.models import LinkCode
from tests.bots.conftest import play
from tests.bots.fake_telegram import FakeTelegram, Person
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

LINK_URL = "/api/v1/me/telegram-link/"


def test_link_code_needs_a_signed_in_user(api: APIClient) -> None:
    assert api.post(LINK_URL).status_code == 401


def test_a_link_code_attaches_the_chat_once(volunteer: User) -> None:
    response = client_for(volunteer).post(LINK_URL)
    assert response.status_code == 201
    code = response.json()["code"]
    assert response.json()["command"] == f"/link {code}"

    async def scenario(fake: FakeTelegram) -> None:
        [linked] = await Person(fake, 9101, language_code="en").send(f"/link {code}")
        # The account's language (nl, the default) is used from now on.
        assert "Deze chat is nu gekoppeld aan je Inzet-account" in linked.text
        [again] = await Person(fake, 9102, language_code="en").send(f"/link {code}")
        assert "not valid, was already used or has expired" in again.text

    play(scenario)

    assert VolunteerProfile.objects.get(user=volunteer).telegram_chat_id == 9101


def test_a_deep_link_with_a_link_code_also_links(volunteer: User) -> None:
    code = client_for(volunteer).post(LINK_URL).json()["deep_link_payload"]

    async def scenario(fake: FakeTelegram) -> None:
        [linked] = await Person(fake, 9103, language_code="en").send(f"/start {code}")
        assert "nu gekoppeld" in linked.text

    play(scenario)

    assert VolunteerProfile.objects.get(user=volunteer).telegram_chat_id == 9103


def test_the_link_answer_gives_the_bots_username_and_its_ready_link(
    volunteer: User, settings: Any
) -> None:
    settings.TELEGRAM_BOT_USERNAME = "InzetDeLindeBot"
    with_username = client_for(volunteer).post(LINK_URL).json()
    settings.TELEGRAM_BOT_USERNAME = ""
    without = client_for(volunteer).post(LINK_URL).json()

    assert with_username["bot_username"] == "InzetDeLindeBot"
    assert with_username["deep_link"] == (
        f"https://t.me/InzetDeLindeBot?start=link-{with_username['code']}"
    )
    assert without["bot_username"] is None and without["deep_link"] is None


def test_link_codes_expire_after_ten_minutes(volunteer: User) -> None:
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=11)):
        code = client_for(volunteer).post(LINK_URL).json()["code"]

    async def scenario(fake: FakeTelegram) -> None:
        [refused] = await Person(fake, 9104, language_code="en").send(f"/link {code}")
        assert "has expired" in refused.text

    play(scenario)

    assert VolunteerProfile.objects.get(user=volunteer).telegram_chat_id is None
    assert LinkCode.objects.get(code=code).used_at is None


def test_a_chat_of_another_account_is_not_taken_over(volunteer: User) -> None:
    other = UserFactory()
    VolunteerProfile.objects.filter(user=other).update(telegram_chat_id=9105)
    code = client_for(volunteer).post(LINK_URL).json()["code"]

    async def scenario(fake: FakeTelegram) -> None:
        [refused] = await Person(fake, 9105, language_code="en").send(f"/link {code}")
        assert "hoort al bij een ander Inzet-account" in refused.text

    play(scenario)

    assert VolunteerProfile.objects.get(user=other).telegram_chat_id == 9105
    assert VolunteerProfile.objects.get(user=volunteer).telegram_chat_id is None

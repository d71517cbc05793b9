from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.test import AsyncClient
from pytest_django import Settings

from backend.accounts.models import VolunteerProfile
from backend.organisations.models import InviteCode, Membership, Organisation
from backend.telegram.models import ProcessedUpdate
from bots import webhook
from tests.bots.fake_telegram import TOKEN, FakeTelegram, Person

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "s3cret-webhook-token"
URL = "/telegram/webhook/"


@pytest.fixture
def webhook_on(settings: Settings) -> None:
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET


def run_with_fake(settings: Settings, scenario: Any) -> FakeTelegram:
    """Run ``scenario(fake, client)`` with the fake Bot API up and the web app pointed at it."""
    fake = FakeTelegram()

    async def main() -> None:
        await fake.start()
        settings.TELEGRAM_API_BASE_URL = fake.base_url
        try:
            await scenario(fake, AsyncClient())
        finally:
            await webhook.shutdown()
            await fake.stop()

    asyncio.run(main())
    return fake


async def post(client: AsyncClient, update: dict[str, Any], secret: str | None = SECRET) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    response = await client.post(URL, update, content_type="application/json", headers=headers)
    return response.status_code


def test_updates_without_the_right_secret_are_refused_with_403(
    webhook_on: None, settings: Settings
) -> None:
    async def scenario(fake: FakeTelegram, client: AsyncClient) -> None:
        person = Person(fake, 9001, language_code="en")
        update = {"update_id": 1, **person.message_update("/help")}
        assert await post(client, update, secret=None) == 403
        assert await post(client, update, secret="wrong") == 403
        assert await post(client, update, secret=SECRET + "x") == 403

    fake = run_with_fake(settings, scenario)

    assert fake.calls == []
    assert not ProcessedUpdate.objects.exists()


def test_without_a_configured_secret_the_webhook_refuses_everything(
    settings: Settings,
) -> None:
    settings.TELEGRAM_BOT_TOKEN = TOKEN

    async def scenario(fake: FakeTelegram, client: AsyncClient) -> None:
        update = {"update_id": 2, **Person(fake, 9002).message_update("/help")}
        assert await post(client, update, secret="") == 403

    assert run_with_fake(settings, scenario).calls == []


def test_the_webhook_runs_the_same_handlers_as_polling(
    webhook_on: None, settings: Settings, organisation: Organisation
) -> None:
    InviteCode.objects.create(organisation=organisation, code="WEBHOOK1")

    async def scenario(fake: FakeTelegram, client: AsyncClient) -> None:
        ida = Person(fake, 9003, first_name="Ida", language_code="en")
        assert await post(client, {"update_id": 10, **ida.message_update("/start WEBHOOK1")}) == 200
        [question] = fake.sent_to(9003)
        assert "Which language" in question.text
        steps = [
            ida.callback_update(question.button("English")),
            ida.callback_update("su:name:keep"),
            ida.callback_update("su:mode:online"),
            ida.message_update("I agree, without phone number"),
        ]
        for update_id, update in enumerate(steps, 11):
            assert await post(client, {"update_id": update_id, **update}) == 200
        # Then "You joined …" and the offer for volunteers who receive a benefit.
        assert "Welcome, Ida!" in fake.sent_to(9003)[-3].text

    run_with_fake(settings, scenario)

    profile = VolunteerProfile.objects.get(telegram_chat_id=9003)
    assert Membership.objects.filter(user=profile.user, organisation=organisation).exists()


def test_a_redelivered_update_has_one_effect(webhook_on: None, settings: Settings) -> None:
    async def scenario(fake: FakeTelegram, client: AsyncClient) -> None:
        jan = Person(fake, 9004, language_code="en")
        update = {"update_id": 42, **jan.message_update("/start")}
        assert await post(client, update) == 200
        # Telegram thought the first delivery failed and sends it again, twice at once.
        results = await asyncio.gather(post(client, update), post(client, update))
        assert results == [200, 200]

    fake = run_with_fake(settings, scenario)

    assert len(fake.sent_to(9004)) == 1
    assert ProcessedUpdate.objects.filter(update_id=42).count() == 1


def test_malformed_bodies_are_rejected(webhook_on: None, settings: Settings) -> None:
    async def scenario(fake: FakeTelegram, client: AsyncClient) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        response = await client.post(
            URL, "not json", content_type="application/json", headers=headers
        )
        assert response.status_code == 400
        response = await client.get(URL, headers=headers)
        assert response.status_code == 405

    run_with_fake(settings, scenario)


def test_with_the_bot_off_the_webhook_answers_503(settings: Settings) -> None:
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET

    async def scenario(fake: FakeTelegram, client: AsyncClient) -> None:
        update = {"update_id": 3, **Person(fake, 9005).message_update("/help")}
        assert await post(client, update) == 503

    assert run_with_fake(settings, scenario).calls == []
    assert not ProcessedUpdate.objects.exists()

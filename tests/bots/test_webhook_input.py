"""The Telegram webhook refuses bodies that are no Telegram update with a 400, storing nothing.

Telegram's update ids are positive integers; ``ProcessedUpdate.update_id`` is a bigint, so a
larger id reached PostgreSQL and failed there (a 500, after the secret had been checked).
"""

from __future__ import annotations

import pytest
from django.test import Client

from backend.telegram.models import ProcessedUpdate
from tests.bots.fake_telegram import TOKEN

# The view reaches the database from a thread of its own (database_sync_to_async), outside
# the test's transaction: what it stored must be flushed, not rolled back.
pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "s3cret-webhook-token"
URL = "/telegram/webhook/"

NOT_UPDATES = {
    "update_id beyond bigint": b'{"update_id": 1180591620717411303424}',  # 2**70
    "update_id just beyond bigint": b'{"update_id": 9223372036854775808}',
    "negative update_id": b'{"update_id": -1}',
    "update_id 1e999": b'{"update_id": 1e999}',
    "update_id as text": b'{"update_id": "7"}',
    "update_id true": b'{"update_id": true}',
    "update_id 1.5": b'{"update_id": 1.5}',
    "no update_id": b'{"message": {}}',
    "a list": b"[1, 2]",
    "nested 100,000 deep": b"[" * 100_000,
    "NaN": b'{"update_id": NaN}',
    "not JSON": b"{not json",
}


@pytest.fixture
def webhook_on(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET


def test_bodies_that_are_no_update_are_refused_and_nothing_is_stored(webhook_on: None) -> None:
    client = Client()
    statuses = {
        name: client.post(
            URL,
            body,
            content_type="application/json",
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        ).status_code
        for name, body in NOT_UPDATES.items()
    }

    assert statuses == dict.fromkeys(NOT_UPDATES, 400)
    assert not ProcessedUpdate.objects.exists()

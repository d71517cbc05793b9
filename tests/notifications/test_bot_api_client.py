"""The worker's Bot API client: what Telegram answers becomes an error that says whether the
same request may work later (the worker's retry rules are in test_delivery.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backend.telegram.callbacks import Callback, encode, parse
from backend.telegram.client import (
    BotApiClient,
    BotApiError,
    Button,
    PermanentError,
    RateLimited,
    RetryableError,
)
from tests.bots.fake_telegram import TOKEN, FakeTelegram


@pytest.fixture
def client(fake: FakeTelegram) -> Iterator[BotApiClient]:
    client = BotApiClient(token=TOKEN, base_url=fake.base_url)
    yield client
    client.close()


@pytest.mark.parametrize(
    ("status", "description", "retryable"),
    [
        (400, "Bad Request: chat not found", False),
        (403, "Forbidden: bot was blocked by the user", False),
        (429, "Too Many Requests: retry after 3", True),
        (500, "Internal Server Error", True),
        (502, "Bad Gateway", True),
    ],
)
def test_a_refusal_is_permanent_or_retryable_and_says_why(
    fake: FakeTelegram, client: BotApiClient, status: int, description: str, retryable: bool
) -> None:
    fake.fail_once("sendMessage", status, description, retry_after=3)
    with pytest.raises(BotApiError) as raised:
        client.send_message(701, "Hello")
    assert isinstance(raised.value, RetryableError) is retryable
    assert isinstance(raised.value, PermanentError) is not retryable
    assert str(raised.value) == f"{status} {description}"


def test_a_429_carries_the_wait_telegram_asked_for(
    fake: FakeTelegram, client: BotApiClient
) -> None:
    fake.fail_once("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(RateLimited) as raised:
        client.send_message(702, "Hello")
    assert raised.value.retry_after == 7


def test_a_network_error_is_retryable_and_its_reason_holds_no_token() -> None:
    # Nothing listens on port 9 of localhost.
    client = BotApiClient(token=TOKEN, base_url="http://127.0.0.1:9/bot")
    with pytest.raises(RetryableError) as raised:
        client.send_message(703, "Hello")
    assert str(raised.value).startswith("network: ConnectError")
    assert TOKEN not in str(raised.value)


def test_buttons_go_out_as_an_inline_keyboard_the_bot_can_parse(
    fake: FakeTelegram, client: BotApiClient
) -> None:
    client.send_message(
        704, "Coming?", [[Button("Yes", encode("coming", 12)), Button("No", encode("cancel", 12))]]
    )
    [call] = fake.sent_to(704)
    assert call.text == "Coming?"
    assert [(label, parse(data)) for label, data in call.buttons] == [
        ("Yes", Callback("coming", (12,))),
        ("No", Callback("cancel", (12,))),
    ]

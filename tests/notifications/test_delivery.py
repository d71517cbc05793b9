"""Delivery failures: 429 with retry_after, 5xx, network errors, a blocked bot (403)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import time_machine
from django.utils import timezone

from backend.accounts.models import User
from backend.notifications.models import Channel, Notification, Status
from backend.notifications.worker import MAX_ATTEMPTS, Worker
from backend.organisations.models import Organisation
from backend.shifts.services import claim_create, shift_cancel
from backend.telegram.client import BotApiClient
from backend.telegram.models import TelegramAccount
from backend.telegram.ratelimit import SharedLimiter
from tests.bots.fake_telegram import TOKEN, FakeTelegram
from tests.conftest import client_for
from tests.factories import shift_at


def _cancellation_for(organisation: Organisation, user: User, coordinator: User) -> Notification:
    """A 'shift cancelled' message for ``user``, due now."""
    shift = shift_at(organisation, starts_in=dt.timedelta(hours=5))
    claim_create(volunteer=user, shift_id=shift.pk)
    shift_cancel(actor=coordinator, shift_id=shift.pk)
    return Notification.objects.get(user=user, kind="shift_cancelled", shift=shift)


def test_a_429_is_sent_again_after_the_time_telegram_asked_for(
    organisation: Organisation,
    coordinator: User,
    on_telegram: Callable[..., User],
    fake: FakeTelegram,
    worker: Worker,
) -> None:
    row = _cancellation_for(organisation, on_telegram(601), coordinator)
    fake.fail_once("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    worker.run_until_idle()
    row.refresh_from_db()
    assert row.status == Status.PENDING and row.attempts == 1
    assert row.last_error.startswith("429")
    assert dt.timedelta(seconds=6) < row.due_at - timezone.now() <= dt.timedelta(seconds=7)
    worker.run_until_idle()
    assert fake.sent_to(601) == []
    with time_machine.travel(row.due_at, tick=True):
        worker.run_until_idle()
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert len(fake.sent_to(601)) == 1


def test_a_server_error_is_retried_with_back_off(
    organisation: Organisation,
    coordinator: User,
    on_telegram: Callable[..., User],
    fake: FakeTelegram,
    worker: Worker,
) -> None:
    row = _cancellation_for(organisation, on_telegram(602), coordinator)
    fake.fail_once("sendMessage", 500, "Internal Server Error")
    fake.fail_once("sendMessage", 502, "Bad Gateway")
    worker.run_until_idle()
    row.refresh_from_db()
    first_wait = row.due_at - timezone.now()
    with time_machine.travel(row.due_at, tick=True):
        worker.run_until_idle()
        row.refresh_from_db()
        assert row.status == Status.PENDING and row.last_error.startswith("502")
        second_wait = row.due_at - timezone.now()
        assert second_wait > first_wait  # back-off grows
        with time_machine.travel(row.due_at, tick=True):
            worker.run_until_idle()
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 3
    assert len(fake.sent_to(602)) == 1


def test_network_failures_end_failed_with_the_reason_and_coordinators_see_it(
    organisation: Organisation,
    coordinator: User,
    on_telegram: Callable[..., User],
) -> None:
    row = _cancellation_for(organisation, on_telegram(603), coordinator)
    # Nothing listens on port 9 of localhost: every attempt is a connection error.
    unreachable = Worker(
        client=BotApiClient(token=TOKEN, base_url="http://127.0.0.1:9/bot"),
        limiter=SharedLimiter(per_second=0, chat_interval=0),
    )
    for _attempt in range(MAX_ATTEMPTS):
        row.refresh_from_db()
        with time_machine.travel(row.due_at, tick=True):
            unreachable.run_until_idle()
    row.refresh_from_db()
    assert row.status == Status.FAILED and row.attempts == MAX_ATTEMPTS
    assert row.last_error.startswith("network: ConnectError")

    response = client_for(coordinator).get(
        f"/api/v1/organisations/{organisation.pk}/notifications/?status=failed"
    )
    assert response.status_code == 200
    [failed] = response.json()
    assert failed["id"] == row.pk and failed["last_error"].startswith("network")
    assert (
        client_for(row.user)
        .get(f"/api/v1/organisations/{organisation.pk}/notifications/")
        .status_code
        == 403
    )


def test_a_volunteer_who_blocked_the_bot_is_marked_and_gets_the_rest_in_the_app(
    organisation: Organisation,
    coordinator: User,
    on_telegram: Callable[..., User],
    fake: FakeTelegram,
    worker: Worker,
) -> None:
    anna = on_telegram(604)
    fake.blocked_chats.add(604)
    first = _cancellation_for(organisation, anna, coordinator)
    worker.run_until_idle()
    first.refresh_from_db()
    # Not lost: the app's inbox has it (push, had she registered a device).
    assert (first.status, first.channel) == (Status.SENT, Channel.INBOX) and first.text
    assert TelegramAccount.objects.get(user=anna).unreachable_since is not None
    second = _cancellation_for(organisation, anna, coordinator)
    worker.run_until_idle()
    second.refresh_from_db()
    assert (second.status, second.channel) == (Status.SENT, Channel.INBOX)
    assert len([c for c in fake.calls if c.chat_id == 604]) == 1


def test_a_message_telegram_refuses_fails_at_once_and_the_chat_stays_reachable(
    organisation: Organisation,
    coordinator: User,
    on_telegram: Callable[..., User],
    fake: FakeTelegram,
    worker: Worker,
) -> None:
    bram = on_telegram(605)
    row = _cancellation_for(organisation, bram, coordinator)
    fake.fail_once("sendMessage", 400, "Bad Request: message text is empty")
    worker.run_until_idle()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 1)
    assert row.last_error == "400 Bad Request: message text is empty"
    assert len(fake.sent_to(605)) == 0 and len([c for c in fake.calls if c.chat_id == 605]) == 1
    # Only a 403 says the volunteer blocked the bot.
    assert not TelegramAccount.objects.filter(user=bram, unreachable_since__isnull=False).exists()


def test_without_a_telegram_chat_or_a_device_it_goes_to_the_inbox(
    organisation: Organisation,
    coordinator: User,
    volunteer: User,
    fake: FakeTelegram,
    worker: Worker,
) -> None:
    row = _cancellation_for(organisation, volunteer, coordinator)
    worker.run_until_idle()
    row.refresh_from_db()
    assert (row.status, row.channel) == (Status.SENT, Channel.INBOX)
    assert row.shift.title in row.text
    assert fake.calls == []

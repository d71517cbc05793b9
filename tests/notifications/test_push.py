"""Push to app users: Web Push and FCM HTTP v1 against local fakes that check the wire format
(VAPID JWT, aes128gcm payload decrypted with the subscription's key; the service account's
OAuth exchange and FCM's message JSON). Telegram first, then push, else only the inbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from backend.accounts.models import User
from backend.notifications.models import Channel, Device, Notification, Status
from backend.notifications.push import fcm_forget_credentials
from backend.notifications.worker import Worker
from backend.organisations.models import Organisation
from backend.shifts.services import claim_create, shift_cancel
from backend.telegram.client import BotApiClient
from backend.telegram.ratelimit import SharedLimiter
from tests.bots.fake_telegram import FakeTelegram
from tests.conftest import client_for
from tests.factories import shift_at
from tests.fake_push import (
    FakeFCM,
    FakeWebPush,
    b64url,
    fake_fcm,
    fake_webpush,
    vapid_private_key_pem,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def services(settings: Any, tmp_path: Path) -> Iterator[tuple[FakeWebPush, FakeFCM]]:
    pem, public = vapid_private_key_pem()
    with fake_webpush(public) as webpush, fake_fcm(tmp_path) as fcm:
        settings.VAPID_PRIVATE_KEY = pem
        settings.VAPID_SUBJECT = "mailto:ops@inzet.example"
        settings.WEBPUSH_ALLOW_HTTP = True
        settings.FCM_CREDENTIALS_FILE = str(fcm.credentials_file)
        settings.FCM_BASE_URL = fcm.base
        fcm_forget_credentials()
        yield webpush, fcm
    fcm_forget_credentials()


def cancellation_for(organisation: Organisation, user: User, coordinator: User) -> Notification:
    shift = shift_at(organisation, starts_in=dt.timedelta(hours=5), title="Voorleesuur")
    claim_create(volunteer=user, shift_id=shift.pk)
    shift_cancel(actor=coordinator, shift_id=shift.pk)
    return Notification.objects.get(user=user, kind="shift_cancelled", shift=shift)


def register(user: User, body: dict[str, Any]) -> Any:
    return client_for(user).post("/api/v1/me/devices/", body, format="json")


def test_an_app_user_gets_it_on_every_device_and_in_the_inbox(
    services: tuple[FakeWebPush, FakeFCM],
    organisation: Organisation,
    coordinator: User,
    volunteer: User,
    worker: Worker,
) -> None:
    webpush, fcm = services
    assert register(volunteer, {"kind": "webpush", **webpush.subscription()}).status_code == 201
    assert register(volunteer, {"kind": "fcm", "token": "fcm-token-1"}).status_code == 201
    row = cancellation_for(organisation, volunteer, coordinator)

    worker.run_until_idle()

    assert webpush.rejected == [] and fcm.rejected == []
    [pushed] = webpush.received
    assert "Voorleesuur" in pushed.payload["body"] and pushed.payload["shift_id"] == row.shift_id
    assert pushed.headers["topic"] == f"shift-{row.shift_id}"
    # The TTL ends at the shift's start (5 hours from now).
    assert 5 * 3600 - 120 < int(pushed.headers["ttl"]) <= 5 * 3600
    assert pushed.claims["sub"] == "mailto:ops@inzet.example"
    [message] = fcm.messages
    assert message["token"] == "fcm-token-1"
    assert "Voorleesuur" in message["notification"]["body"]
    assert message["data"]["notification_id"] == str(row.pk)
    assert message["android"]["collapse_key"] == f"shift-{row.shift_id}"
    assert 5 * 3600 - 120 < int(message["android"]["ttl"].rstrip("s")) <= 5 * 3600
    assert message["apns"]["headers"]["apns-collapse-id"] == f"shift-{row.shift_id}"
    assert fcm.token_requests == 1
    row.refresh_from_db()
    assert (row.status, row.channel) == (Status.SENT, Channel.PUSH)

    inbox = client_for(volunteer).get("/api/v1/me/notifications/").json()
    assert inbox["unread"] == 1
    [item] = inbox["results"]
    assert (item["id"], item["channel"], item["shift_title"]) == (row.pk, "push", "Voorleesuur")
    read = client_for(volunteer).post(f"/api/v1/me/notifications/{row.pk}/read/")
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert client_for(volunteer).get("/api/v1/me/notifications/").json()["unread"] == 0


def test_telegram_comes_first(
    services: tuple[FakeWebPush, FakeFCM],
    organisation: Organisation,
    coordinator: User,
    on_telegram: Callable[..., User],
    fake: FakeTelegram,
    worker: Worker,
) -> None:
    _webpush, fcm = services
    anna = on_telegram(701)
    register(anna, {"kind": "fcm", "token": "fcm-anna"})
    row = cancellation_for(organisation, anna, coordinator)

    worker.run_until_idle()

    assert len(fake.sent_to(701)) == 1 and fcm.messages == []
    row.refresh_from_db()
    assert row.channel == Channel.TELEGRAM


def test_devices_that_are_gone_are_forgotten_and_the_inbox_keeps_it(
    services: tuple[FakeWebPush, FakeFCM],
    organisation: Organisation,
    coordinator: User,
    volunteer: User,
    worker: Worker,
) -> None:
    webpush, fcm = services
    subscription = webpush.subscription()
    webpush.answers[subscription["endpoint"].rsplit("/", 1)[1]] = (410, {})
    fcm.answers["fcm-old"] = (404, {})
    register(volunteer, {"kind": "webpush", **subscription})
    register(volunteer, {"kind": "fcm", "token": "fcm-old"})
    row = cancellation_for(organisation, volunteer, coordinator)

    worker.run_until_idle()

    assert not Device.objects.filter(user=volunteer).exists()
    row.refresh_from_db()
    assert (row.status, row.channel) == (Status.SENT, Channel.INBOX)


def test_a_busy_service_is_asked_again_after_the_wait_it_gave(
    services: tuple[FakeWebPush, FakeFCM],
    organisation: Organisation,
    coordinator: User,
    volunteer: User,
    worker: Worker,
) -> None:
    webpush, _fcm = services
    subscription = webpush.subscription()
    name = subscription["endpoint"].rsplit("/", 1)[1]
    webpush.answers[name] = (429, {"Retry-After": "30"})
    register(volunteer, {"kind": "webpush", **subscription})
    row = cancellation_for(organisation, volunteer, coordinator)

    worker.run_until_idle()

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.PENDING, 1) and "429" in row.last_error
    assert dt.timedelta(seconds=29) < row.due_at - timezone.now() <= dt.timedelta(seconds=31)
    assert Device.objects.filter(user=volunteer).exists()
    del webpush.answers[name]
    Notification.objects.filter(pk=row.pk).update(due_at=timezone.now())
    worker.run_until_idle()
    row.refresh_from_db()
    assert row.channel == Channel.PUSH and len(webpush.received) == 1


def test_without_push_settings_it_stays_in_the_inbox(
    settings: Any, organisation: Organisation, coordinator: User, volunteer: User, worker: Worker
) -> None:
    settings.VAPID_PRIVATE_KEY = ""
    settings.FCM_CREDENTIALS_FILE = ""
    register(volunteer, {"kind": "fcm", "token": "fcm-x"})
    row = cancellation_for(organisation, volunteer, coordinator)
    worker.run_until_idle()
    row.refresh_from_db()
    assert row.channel == Channel.INBOX
    config = client_for(volunteer).get("/api/v1/push/").json()
    assert config == {"kinds": [], "vapid_public_key": None}


def test_the_push_config_gives_the_key_to_subscribe_with(
    services: tuple[FakeWebPush, FakeFCM], volunteer: User
) -> None:
    webpush, _fcm = services
    config = client_for(volunteer).get("/api/v1/push/").json()
    assert config["kinds"] == ["webpush", "fcm"]
    assert config["vapid_public_key"] == b64url(webpush.vapid_public)


def test_devices_are_checked_listed_moved_and_removed(
    services: tuple[FakeWebPush, FakeFCM],
    volunteer: User,
    make_volunteer: Callable[[], User],
    settings: Any,
) -> None:
    webpush, _fcm = services
    subscription = webpush.subscription()
    bad = register(
        volunteer, {"kind": "webpush", **subscription, "keys": {"p256dh": "x", "auth": "y"}}
    )
    assert bad.status_code == 400 and "keys.p256dh" in bad.json()["fields"]
    settings.WEBPUSH_ALLOW_HTTP = False
    insecure = register(volunteer, {"kind": "webpush", **subscription})
    assert insecure.status_code == 400 and "endpoint" in insecure.json()["fields"]
    assert register(volunteer, {"kind": "fcm"}).status_code == 400
    settings.WEBPUSH_ALLOW_HTTP = True

    device = register(volunteer, {"kind": "webpush", **subscription}).json()
    listed = client_for(volunteer).get("/api/v1/me/devices/").json()
    assert [d["id"] for d in listed] == [device["id"]]
    one = client_for(volunteer).get(f"/api/v1/me/devices/{device['id']}/").json()
    assert (one["kind"], one["last_pushed_at"]) == ("webpush", None)
    # The same browser, now signed in as someone else: the subscription moves to them.
    other = make_volunteer()
    assert register(other, {"kind": "webpush", **subscription}).status_code == 201
    assert client_for(volunteer).get("/api/v1/me/devices/").json() == []
    assert client_for(volunteer).delete(f"/api/v1/me/devices/{device['id']}/").status_code == 404
    assert client_for(other).delete(f"/api/v1/me/devices/{device['id']}/").status_code == 204
    assert not Device.objects.exists()


def test_without_a_bot_the_app_users_still_get_theirs_and_telegram_ones_wait(
    organisation: Organisation,
    coordinator: User,
    volunteer: User,
    on_telegram: Callable[..., User],
    fake: FakeTelegram,
) -> None:
    no_bot = Worker(
        client=BotApiClient(token="", base_url=fake.base_url),
        limiter=SharedLimiter(per_second=0, chat_interval=0),
    )
    app_only = cancellation_for(organisation, volunteer, coordinator)
    on_chat = cancellation_for(organisation, on_telegram(702), coordinator)

    no_bot.run_until_idle()

    app_only.refresh_from_db()
    on_chat.refresh_from_db()
    assert (app_only.status, app_only.channel) == (Status.SENT, Channel.INBOX)
    assert on_chat.status == Status.PENDING and fake.calls == []

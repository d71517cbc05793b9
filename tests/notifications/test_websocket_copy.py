"""What the worker sends a person also reaches their own websocket stream (``ws/v1/me/``):
app users without Telegram hear of it there."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from channels.db import database_sync_to_async

from backend.notifications.models import Channel, Kind, Notification, Status
from backend.shifts.models import Claim
from backend.shifts.services import claim_cancel, claim_create
from tests.factories import ShiftFactory
from tests.realtime.conftest import connected

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async
ME = "/ws/v1/me/"
# Mid-day in Brussels, so no quiet hours hold the message back.
NOON = dt.datetime(2030, 3, 5, 12, 0, tzinfo=ZoneInfo("Europe/Brussels"))


@pytest.fixture(autouse=True)
def _at_noon():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOON, tick=True):
        yield


def tomorrow_shift(organisation, **fields):  # type: ignore[no-untyped-def]
    starts = NOON + dt.timedelta(days=1)
    return ShiftFactory(
        organisation=organisation,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        **fields,
    )


async def next_notification(ws) -> dict:  # type: ignore[no-untyped-def]
    """Skip the domain events (the stream's hints) until the worker's notification."""
    while True:
        message = await ws.receive_json_from(timeout=3)
        if message["type"] == "notification":
            return message


async def test_a_promotion_reaches_the_app_of_a_volunteer_without_telegram(
    organisation, make_volunteer, fake, worker
):
    seated, waiting = await db(make_volunteer)(), await db(make_volunteer)()
    shift = await db(tomorrow_shift)(organisation, capacity=1, title="Voorleesuur")
    seat = (await db(claim_create)(volunteer=seated, shift_id=shift.pk)).claim
    await db(claim_create)(volunteer=waiting, shift_id=shift.pk)
    async with connected(ME, waiting) as ws:
        assert (await ws.receive_json_from())["type"] == "ready"
        await db(claim_cancel)(actor=seated, claim_id=seat.pk)
        await db(worker.run_until_idle)()
        message = await next_notification(ws)
    claim = await db(Claim.objects.get)(volunteer=waiting)
    assert message["kind"] == Kind.PROMOTED
    assert message["shift_id"] == shift.pk and message["claim_id"] == claim.pk
    assert "Voorleesuur" in message["text"]
    row = await db(Notification.objects.get)(kind=Kind.PROMOTED, user=waiting)
    # Not on Telegram: kept in the app's inbox (no device registered for push), not retried.
    assert (row.status, row.channel) == (Status.SENT, Channel.INBOX)
    assert fake.sent_to(0) == []


async def test_a_telegram_volunteer_gets_it_in_both_places_once(
    organisation, make_volunteer, on_telegram, fake, worker
):
    seated = await db(make_volunteer)()
    waiting = await db(on_telegram)(777)
    shift = await db(tomorrow_shift)(organisation, capacity=1)
    seat = (await db(claim_create)(volunteer=seated, shift_id=shift.pk)).claim
    await db(claim_create)(volunteer=waiting, shift_id=shift.pk)
    async with connected(ME, waiting) as ws:
        assert (await ws.receive_json_from())["type"] == "ready"
        await db(claim_cancel)(actor=seated, claim_id=seat.pk)
        await db(worker.run_until_idle)()
        message = await next_notification(ws)
        await db(worker.run_until_idle)()
        assert await ws.receive_nothing(timeout=0.3) or (
            (await ws.receive_json_from())["type"] != "notification"
        )
    assert message["kind"] == Kind.PROMOTED
    assert [m.text for m in fake.sent_to(777)] == [message["text"]]

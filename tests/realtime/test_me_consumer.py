"""A volunteer's own stream, ``ws/v1/me/``."""

from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.utils import timezone

from backend.accounts.models import ModePreference
from backend.shifts.models import Claim, ShiftMode
from backend.shifts.services import claim_cancel, claim_create, shift_create, shift_update
from realtime.events import news_group, organisation_group, user_group
from tests.factories import ShiftFactory
from tests.realtime.conftest import access_token, communicator, connected

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async
ME = "/ws/v1/me/"


async def test_anonymous_me_socket_is_closed_with_4401():
    ws = communicator(ME)
    await ws.connect()
    assert (await ws.receive_output())["code"] == 4401
    await ws.disconnect()


async def test_volunteer_hears_of_their_promotion_but_not_of_others_claims(
    organisation, make_volunteer
):
    ana, bert, chris = [await db(make_volunteer)() for _ in range(3)]
    shift = await db(ShiftFactory)(organisation=organisation, capacity=1)
    await db(claim_create)(volunteer=ana, shift_id=shift.pk)
    await db(claim_create)(volunteer=bert, shift_id=shift.pk)
    ws = communicator(ME, subprotocols=["inzet.v1", f"bearer.{access_token(bert)}"])
    accepted, _ = await ws.connect()
    assert accepted
    try:
        assert (await ws.receive_json_from())["type"] == "ready"
        ana_claim = await db(Claim.objects.get)(volunteer=ana)
        await db(claim_create)(volunteer=chris, shift_id=shift.pk)  # someone else's claim
        await db(claim_cancel)(actor=ana, claim_id=ana_claim.pk)
        message = await ws.receive_json_from(timeout=2)
        assert message["event"] == "claim.promoted"
        assert message["claim"]["status"] == "confirmed"
        assert "volunteers" not in message["shift"]
        assert await ws.receive_nothing(timeout=0.3)
    finally:
        await ws.disconnect()


async def test_volunteer_hears_when_their_shift_moves(organisation, coordinator, volunteer):
    shift = await db(ShiftFactory)(organisation=organisation)
    await db(claim_create)(volunteer=volunteer, shift_id=shift.pk)
    async with connected(ME, volunteer) as ws:
        await ws.receive_json_from()
        await db(shift_update)(
            actor=coordinator,
            shift_id=shift.pk,
            starts_at=shift.starts_at + dt.timedelta(hours=1),
            ends_at=shift.ends_at + dt.timedelta(hours=1),
        )
        message = await ws.receive_json_from(timeout=2)
    assert (message["event"], message["time_changed"]) == ("shift.changed", True)


async def test_new_open_shifts_arrive_only_in_the_mode_the_volunteer_wants(
    organisation, coordinator, volunteer
):
    @db
    def prefer_online() -> None:
        volunteer.profile.mode_preference = ModePreference.ONLINE
        volunteer.profile.save()

    await prefer_online()
    starts = timezone.now() + dt.timedelta(days=2)
    common = {
        "actor": coordinator,
        "organisation": organisation,
        "starts_at": starts,
        "ends_at": starts + dt.timedelta(hours=1),
        "capacity": 2,
        "publish": True,
    }
    async with connected(ME, volunteer) as ws:
        await ws.receive_json_from()
        await db(shift_create)(title="Bezoek ter plaatse", address="Kerkstraat 1", **common)
        await db(shift_create)(
            title="Belronde", mode=ShiftMode.ONLINE, meeting_link="https://meet.example/x", **common
        )
        message = await ws.receive_json_from(timeout=2)
        assert (message["event"], message["shift"]["title"]) == ("shift.created", "Belronde")
        assert await ws.receive_nothing(timeout=0.3)


async def _members(group: str) -> set[str]:
    """The channels in a group, read from the layer's own storage (no public API for it)."""
    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        return set(layer.groups.get(group, {}))
    connection = layer.connection(layer.consistent_hash(group))
    return {m.decode() for m in await connection.zrange(layer._group_key(group), 0, -1)}


async def test_an_open_app_is_not_sent_every_claim_of_its_organisation(
    organisation, volunteer, make_volunteer
):
    # Only new shifts of the organisation come on the news group the app joins; its claims
    # (every volunteer's) stay on the organisation's group, for the boards.
    async with connected(ME, volunteer) as ws:
        await ws.receive_json_from()
        assert await _members(organisation_group(organisation.pk)) == set()
        [channel] = await _members(news_group(organisation.pk))
        assert channel in await _members(user_group(volunteer.pk))
        shift = await db(ShiftFactory)(organisation=organisation)
        await db(claim_create)(volunteer=await db(make_volunteer)(), shift_id=shift.pk)
        assert await ws.receive_nothing(timeout=0.3)
    assert await _members(news_group(organisation.pk)) == set()

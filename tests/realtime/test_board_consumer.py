"""The board websocket through the real ASGI stack and the configured channel layer."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from backend.shifts.models import Claim, ShiftStatus
from backend.shifts.services import (
    claim_cancel,
    claim_create,
    shift_cancel,
    shift_create,
    shift_update,
)
from realtime.events import organisation_group
from tests.factories import ShiftFactory
from tests.realtime.conftest import (
    ORIGIN,
    access_token,
    board_path,
    communicator,
    connected,
    receive_until,
    session_cookie,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


async def test_anonymous_socket_is_closed_with_4401(organisation):
    ws = communicator(board_path(organisation.pk))
    accepted, _ = await ws.connect()
    assert accepted
    assert await ws.receive_output() == {"type": "websocket.close", "code": 4401}
    await ws.disconnect()


async def test_invalid_token_is_closed_with_4401_even_with_a_session(organisation, coordinator):
    cookie = await session_cookie(coordinator)
    ws = communicator(
        board_path(organisation.pk, "token=not-a-jwt"), headers=[ORIGIN, (b"cookie", cookie)]
    )
    await ws.connect()
    assert (await ws.receive_output())["code"] == 4401
    await ws.disconnect()


async def test_volunteer_of_the_organisation_is_refused_with_4403(organisation, volunteer):
    ws = communicator(board_path(organisation.pk, f"token={access_token(volunteer)}"))
    await ws.connect()
    assert (await ws.receive_output())["code"] == 4403
    await ws.disconnect()


async def test_coordinator_of_another_organisation_is_refused_with_4403(organisation, outsider):
    ws = communicator(board_path(organisation.pk, f"token={access_token(outsider)}"))
    await ws.connect()
    assert (await ws.receive_output())["code"] == 4403
    await ws.disconnect()


async def test_unknown_organisation_gives_outsiders_4403_not_a_hint(outsider):
    ws = communicator(board_path(999_999, f"token={access_token(outsider)}"))
    await ws.connect()
    assert (await ws.receive_output())["code"] == 4403
    await ws.disconnect()


async def test_token_in_query_string_gets_the_snapshot(organisation, coordinator):
    ws = communicator(board_path(organisation.pk, f"token={access_token(coordinator)}"))
    accepted, _ = await ws.connect()
    assert accepted
    snapshot = await ws.receive_json_from()
    assert snapshot["type"] == "snapshot"
    assert snapshot["organisation"]["slug"] == organisation.slug
    await ws.disconnect()


async def test_token_as_subprotocol_is_accepted_with_inzet_v1(organisation, coordinator):
    ws = communicator(
        board_path(organisation.pk),
        subprotocols=["inzet.v1", f"bearer.{access_token(coordinator)}"],
    )
    accepted, subprotocol = await ws.connect()
    assert accepted
    assert subprotocol == "inzet.v1"
    assert (await ws.receive_json_from())["type"] == "snapshot"
    await ws.disconnect()


async def test_app_without_origin_header_can_use_a_token(organisation, coordinator):
    ws = communicator(board_path(organisation.pk, f"token={access_token(coordinator)}"), headers=[])
    accepted, _ = await ws.connect()
    assert accepted
    assert (await ws.receive_json_from())["type"] == "snapshot"
    await ws.disconnect()


async def test_session_cookie_without_origin_header_is_not_enough(organisation, coordinator):
    cookie = await session_cookie(coordinator)
    ws = communicator(board_path(organisation.pk), headers=[(b"cookie", cookie)])
    await ws.connect()
    assert (await ws.receive_output())["code"] == 4401
    await ws.disconnect()


async def test_foreign_origin_is_refused(organisation, coordinator):
    cookie = await session_cookie(coordinator)
    ws = communicator(
        board_path(organisation.pk),
        headers=[(b"origin", b"https://evil.example"), (b"cookie", cookie)],
    )
    accepted, _ = await ws.connect()
    assert not accepted
    await ws.disconnect()


async def test_snapshot_lists_the_window_with_names_counts_and_check_in(
    organisation, coordinator, make_volunteer
):
    @db
    def arrange() -> tuple[int, int]:
        shift = ShiftFactory(organisation=organisation, capacity=2, waitlist_enabled=True)
        ana, bert, chris = make_volunteer(), make_volunteer(), make_volunteer()
        for person, name in ((ana, "Ana"), (bert, "Bert"), (chris, "Chris")):
            person.profile.display_name = name
            person.profile.save()
            claim_create(volunteer=person, shift_id=shift.pk)
        Claim.objects.filter(volunteer=ana).update(checked_in_at=timezone.now())
        later = ShiftFactory(
            organisation=organisation, starts_at=timezone.now() + dt.timedelta(days=20)
        )
        ShiftFactory(organisation=organisation, status=ShiftStatus.DRAFT)
        return shift.pk, later.pk

    shift_id, later_id = await arrange()
    async with connected(board_path(organisation.pk), coordinator) as ws:
        snapshot = await ws.receive_json_from()
    shifts = {row["id"]: row for row in snapshot["shifts"]}
    assert list(shifts) == [shift_id]  # not the draft, not the one in 20 days
    row = shifts[shift_id]
    assert (row["confirmed_count"], row["capacity"], row["waitlist_count"]) == (2, 2, 1)
    names = [(v["name"], v["status"], v["checked_in_at"] is not None) for v in row["volunteers"]]
    assert names == [
        ("Ana", "confirmed", True),
        ("Bert", "confirmed", False),
        ("Chris", "waitlisted", False),
    ]
    assert isinstance(snapshot["seq"], int)

    async with connected(board_path(organisation.pk, "days=31"), coordinator) as ws:
        snapshot = await ws.receive_json_from()
    assert {row["id"] for row in snapshot["shifts"]} == {shift_id, later_id}


async def test_every_event_type_reaches_the_board_numbered_one_by_one(
    organisation, coordinator, make_volunteer
):
    ana, bert = await db(make_volunteer)(), await db(make_volunteer)()
    starts = timezone.now() + dt.timedelta(days=1)
    async with connected(board_path(organisation.pk), coordinator) as ws:
        last = (await ws.receive_json_from())["seq"]
        received = []

        async def expect(event_type: str) -> dict:
            nonlocal last
            message = await ws.receive_json_from(timeout=2)
            assert message["type"] == "event"
            assert message["event"] == event_type
            assert message["seq"] == last + 1
            last = message["seq"]
            received.append(event_type)
            return message

        shift = await db(shift_create)(
            actor=coordinator,
            organisation=organisation,
            title="Wandeling",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            capacity=1,
            address="Kerkstraat 1",
            publish=True,
        )
        message = await expect("shift.created")
        assert message["shift"]["title"] == "Wandeling"

        await db(claim_create)(volunteer=ana, shift_id=shift.pk)
        message = await expect("claim.confirmed")
        assert message["shift"]["confirmed_count"] == 1
        assert [v["name"] for v in message["shift"]["volunteers"]] == [ana.profile.display_name]

        bert_claim = (await db(claim_create)(volunteer=bert, shift_id=shift.pk)).claim
        message = await expect("claim.waitlisted")
        assert message["shift"]["waitlist_count"] == 1

        ana_claim = await db(Claim.objects.get)(volunteer=ana)
        await db(claim_cancel)(actor=ana, claim_id=ana_claim.pk)
        await expect("claim.cancelled")
        message = await expect("claim.promoted")
        assert message["claim"]["id"] == bert_claim.pk
        assert (message["shift"]["confirmed_count"], message["shift"]["waitlist_count"]) == (1, 0)

        await db(shift_update)(actor=coordinator, shift_id=shift.pk, capacity=3)
        message = await expect("shift.changed")
        assert message["shift"]["capacity"] == 3

        await db(shift_cancel)(actor=coordinator, shift_id=shift.pk)
        message = await expect("shift.cancelled")
        assert message["shift"]["status"] == "cancelled"
        assert message["shift"]["confirmed_count"] == 0
    assert len(received) == 7


async def test_rolled_back_claim_never_reaches_the_board(organisation, coordinator, volunteer):
    shift = await db(ShiftFactory)(organisation=organisation)

    @db
    def claim_then_roll_back() -> None:
        with transaction.atomic():
            claim_create(volunteer=volunteer, shift_id=shift.pk)
            transaction.set_rollback(True)

    async with connected(board_path(organisation.pk), coordinator) as ws:
        await ws.receive_json_from()
        await claim_then_roll_back()
        assert await ws.receive_nothing(timeout=0.5)


async def test_events_of_another_organisation_do_not_reach_the_board(
    organisation, other_organisation, coordinator, make_volunteer
):
    other_shift = await db(ShiftFactory)(organisation=other_organisation)
    stranger = await db(make_volunteer)(other_organisation)
    async with connected(board_path(organisation.pk), coordinator) as ws:
        await ws.receive_json_from()
        await db(claim_create)(volunteer=stranger, shift_id=other_shift.pk)
        assert await ws.receive_nothing(timeout=0.5)


async def test_resync_sends_a_fresh_snapshot(organisation, coordinator, volunteer):
    shift = await db(ShiftFactory)(organisation=organisation)
    async with connected(board_path(organisation.pk), coordinator) as ws:
        await ws.receive_json_from()
        await db(claim_create)(volunteer=volunteer, shift_id=shift.pk)
        event = await receive_until(ws, lambda m: m["type"] == "event")
        await ws.send_json_to({"type": "resync"})
        snapshot = await receive_until(ws, lambda m: m["type"] == "snapshot")
    assert snapshot["seq"] >= event["seq"]
    assert snapshot["shifts"][0]["confirmed_count"] == 1


async def test_ping_gets_pong(organisation, coordinator):
    async with connected(board_path(organisation.pk), coordinator) as ws:
        await ws.receive_json_from()
        await ws.send_json_to({"type": "ping"})
        assert await ws.receive_json_from() == {"type": "pong"}


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"text_data": "{not json"}, "malformed"),
        ({"text_data": "[1, 2]"}, "malformed"),
        ({"text_data": '{"no": "type"}'}, "malformed"),
        ({"bytes_data": b"\x00\x01"}, "malformed"),
        ({"text_data": '{"type": "subscribe"}'}, "unknown_type"),
    ],
)
async def test_malformed_frames_get_an_error_and_the_socket_stays_open(
    organisation, coordinator, frame, code
):
    async with connected(board_path(organisation.pk), coordinator) as ws:
        await ws.receive_json_from()
        await ws.send_to(**frame)
        error = await ws.receive_json_from()
        assert (error["type"], error["code"]) == ("error", code)
        await ws.send_json_to({"type": "ping"})
        assert await ws.receive_json_from() == {"type": "pong"}


async def test_frame_over_64_kib_closes_the_socket(organisation, coordinator):
    async with connected(board_path(organisation.pk), coordinator) as ws:
        await ws.receive_json_from()
        await ws.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * 65_536}))
        assert (await ws.receive_json_from())["code"] == "too_large"
        assert await ws.receive_output() == {"type": "websocket.close", "code": 4413}


async def test_more_than_20_frames_a_second_closes_the_socket(organisation, coordinator):
    async with connected(board_path(organisation.pk), coordinator) as ws:
        await ws.receive_json_from()
        for _ in range(21):
            await ws.send_json_to({"type": "ping"})
        replies = [await ws.receive_output() for _ in range(22)]
    texts = [json.loads(r["text"]) for r in replies if r["type"] == "websocket.send"]
    assert texts.count({"type": "pong"}) == 20
    assert texts[-1]["code"] == "rate_limited"
    assert replies[-1] == {"type": "websocket.close", "code": 4429}


async def test_twenty_frames_a_second_are_fine(organisation, coordinator):
    async with connected(board_path(organisation.pk), coordinator) as ws:
        await ws.receive_json_from()
        for _ in range(20):
            await ws.send_json_to({"type": "ping"})
        for _ in range(20):
            assert await ws.receive_json_from() == {"type": "pong"}


async def test_a_dropped_event_is_logged_at_warning(organisation, coordinator, volunteer, caplog):
    """A sequence number that never arrives is a message the channel layer dropped."""
    shift = await db(ShiftFactory)(organisation=organisation)
    async with connected(board_path(organisation.pk), coordinator) as ws:
        await ws.receive_json_from()
        await db(claim_create)(volunteer=volunteer, shift_id=shift.pk)
        event = await receive_until(ws, lambda m: m["type"] == "event")
        # What a board sees after a drop: the next message carries a number one too far.
        skipped = {
            "type": "domain.event",
            "audience": "organisation",
            "seq": event["seq"] + 2,
            "event": {
                "type": "shift.changed",
                "organisation_id": organisation.pk,
                "occurred_at": timezone.now().isoformat(),
                "shift": event["shift"],
            },
            "board_shift": event["shift"],
        }
        with caplog.at_level(logging.WARNING, logger="realtime.consumers"):
            await get_channel_layer().group_send(organisation_group(organisation.pk), skipped)
            assert (await ws.receive_json_from())["seq"] == event["seq"] + 2
            await ws.receive_nothing(timeout=2.5)
    assert any(
        r.levelno == logging.WARNING and "dropped 1 event" in r.getMessage() for r in caplog.records
    )


async def test_boards_in_one_process_share_a_subscription_and_keep_it_while_any_is_open(
    organisation, other_organisation, coordinator, outsider, make_volunteer
):
    shift = await db(ShiftFactory)(organisation=organisation, capacity=5)
    people = [await db(make_volunteer)() for _ in range(3)]
    async with (
        connected(board_path(organisation.pk), coordinator) as first,
        connected(board_path(other_organisation.pk), outsider) as elsewhere,
    ):
        await first.receive_json_from()
        await elsewhere.receive_json_from()
        async with connected(board_path(organisation.pk), coordinator) as second:
            await second.receive_json_from()
            await db(claim_create)(volunteer=people[0], shift_id=shift.pk)
            for ws in (first, second):
                assert (await ws.receive_json_from(timeout=2))["shift"]["confirmed_count"] == 1
        # The second board left; the first one still hears the organisation.
        await db(claim_create)(volunteer=people[1], shift_id=shift.pk)
        assert (await first.receive_json_from(timeout=2))["shift"]["confirmed_count"] == 2
        assert await elsewhere.receive_nothing(timeout=0.3)
    # Every board closed; a new one subscribes afresh.
    async with connected(board_path(organisation.pk), coordinator) as again:
        await again.receive_json_from()
        await db(claim_create)(volunteer=people[2], shift_id=shift.pk)
        assert (await again.receive_json_from(timeout=2))["shift"]["confirmed_count"] == 3

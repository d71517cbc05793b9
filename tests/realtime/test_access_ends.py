"""Sockets close when the right to them ends: a coordinator demoted or removed loses the
board (4403); an erased or deactivated account loses every socket (4401)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from backend.accounts.models import User
from backend.lifecycle.services import membership_end, user_erase
from backend.organisations.models import Membership, Organisation, Role
from backend.organisations.services import membership_set_role
from tests.factories import MembershipFactory, UserFactory
from tests.realtime.conftest import access_token, board_path, communicator, connected

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async
ME = "/ws/v1/me/"


async def _closed_with(ws) -> int:  # type: ignore[no-untyped-def]
    while True:
        output = await ws.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            return int(output["code"])


async def _admin_of(organisation: Organisation) -> User:
    return (await db(MembershipFactory)(organisation=organisation, role=Role.ADMIN)).user


async def test_a_coordinator_made_volunteer_loses_the_board_at_once(organisation, coordinator):
    admin = await _admin_of(organisation)
    membership = await db(Membership.objects.get)(user=coordinator, organisation=organisation)
    async with connected(board_path(organisation.pk), coordinator) as ws:
        assert (await ws.receive_json_from())["type"] == "snapshot"
        await db(membership_set_role)(actor=admin, membership=membership, role=Role.VOLUNTEER)
        assert await _closed_with(ws) == 4403


async def test_a_coordinator_removed_from_the_organisation_loses_the_board(
    organisation, coordinator
):
    admin = await _admin_of(organisation)
    membership = await db(Membership.objects.get)(user=coordinator, organisation=organisation)
    async with connected(board_path(organisation.pk), coordinator) as ws:
        await ws.receive_json_from()
        await db(membership_end)(actor=admin, membership_id=membership.pk)
        assert await _closed_with(ws) == 4403


async def test_other_coordinators_boards_stay_open_when_one_is_demoted(organisation, coordinator):
    admin = await _admin_of(organisation)
    other = (await db(MembershipFactory)(organisation=organisation, role=Role.COORDINATOR)).user
    membership = await db(Membership.objects.get)(user=other, organisation=organisation)
    async with connected(board_path(organisation.pk), coordinator) as ws:
        await ws.receive_json_from()
        await db(membership_set_role)(actor=admin, membership=membership, role=Role.VOLUNTEER)
        assert await ws.receive_nothing(timeout=0.5)
        await ws.send_json_to({"type": "ping"})
        assert (await ws.receive_json_from())["type"] == "pong"


async def test_an_erased_account_loses_its_own_stream(volunteer):
    ws = communicator(ME, subprotocols=["inzet.v1", f"bearer.{access_token(volunteer)}"])
    accepted, _ = await ws.connect()
    assert accepted
    try:
        assert (await ws.receive_json_from())["type"] == "ready"
        await db(user_erase)(user=volunteer)
        assert await _closed_with(ws) == 4401
    finally:
        await ws.disconnect()


async def test_an_account_deactivated_in_the_admin_loses_its_board(organisation, coordinator):
    staff = await db(UserFactory)(is_staff=True, is_superuser=True)

    def deactivate_in_the_admin() -> int:
        client = Client()
        client.force_login(staff)
        page = client.get(f"/admin/accounts/user/{coordinator.pk}/change/")
        form = page.context["adminform"].form
        data = {
            name: value
            for name, value in form.initial.items()
            if value is not None and name not in ("groups", "user_permissions", "password")
        }
        data.update(
            {
                "is_active": "",
                "date_joined_0": coordinator.date_joined.strftime("%Y-%m-%d"),
                "date_joined_1": coordinator.date_joined.strftime("%H:%M:%S"),
                "profile-TOTAL_FORMS": "1",
                "profile-INITIAL_FORMS": "1",
                "profile-MIN_NUM_FORMS": "0",
                "profile-MAX_NUM_FORMS": "1",
                "profile-0-id": str(coordinator.profile.pk),
                "profile-0-user": str(coordinator.pk),
                "profile-0-display_name": coordinator.profile.display_name,
                "profile-0-language": coordinator.profile.language,
                "profile-0-mode_preference": coordinator.profile.mode_preference,
            }
        )
        data.pop("is_active")
        return client.post(f"/admin/accounts/user/{coordinator.pk}/change/", data).status_code

    async with connected(board_path(organisation.pk), coordinator) as ws:
        await ws.receive_json_from()
        assert await db(deactivate_in_the_admin)() == 302
        assert await _closed_with(ws) == 4401
    assert not (await db(User.objects.get)(pk=coordinator.pk)).is_active

"""``shift.suggested`` on ``ws/v1/me/``: a newly published shift reaches the streams of the
volunteers who could claim it, through the worker and the real channel layer."""

from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from backend.accounts.models import User, VolunteerProfile
from backend.notifications.worker import Worker
from backend.organisations.models import Organisation, Role, VolunteerQualification
from backend.shifts.services import shift_create
from backend.telegram.client import BotApiClient
from backend.telegram.ratelimit import SharedLimiter
from tests.factories import MembershipFactory, QualificationFactory
from tests.realtime.conftest import connected

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async
ME = "/ws/v1/me/"


@db
def volunteers(organisation: Organisation) -> tuple[User, User, int]:
    """A volunteer who holds the qualification the shift will ask, one who does not; and the
    qualification."""
    qualification = QualificationFactory(organisation=organisation)
    ana, bert = (
        MembershipFactory(organisation=organisation, role=Role.VOLUNTEER).user for _ in range(2)
    )
    VolunteerProfile.objects.filter(user__in=[ana, bert]).update(mode_preference="both")
    VolunteerQualification.objects.create(user=ana, qualification=qualification)
    return ana, bert, qualification.pk


@db
def publish(coordinator: User, organisation: Organisation, qualification_id: int) -> int:
    starts_at = timezone.now() + dt.timedelta(days=2)
    return shift_create(
        actor=coordinator,
        organisation=organisation,
        title="Bezoek met diploma",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=2),
        capacity=2,
        address="Kerkstraat 1, 9000 Gent",
        required_qualification_ids=[qualification_id],
        publish=True,
    ).pk


@db
def run_worker() -> None:
    # No bot: the worker still does its internal work (the suggestion is one).
    Worker(
        client=BotApiClient(token="", base_url="http://127.0.0.1:9/bot"),
        limiter=SharedLimiter(per_second=0, chat_interval=0),
    ).run_until_idle()


async def test_a_published_shift_is_suggested_to_the_volunteer_who_could_claim_it_only(
    organisation: Organisation, coordinator: User
) -> None:
    ana, bert, qualification_id = await volunteers(organisation)
    async with connected(ME, ana) as ana_ws, connected(ME, bert) as bert_ws:
        assert (await ana_ws.receive_json_from())["type"] == "ready"
        assert (await bert_ws.receive_json_from())["type"] == "ready"
        shift_id = await publish(coordinator, organisation, qualification_id)
        # Both hear of the new shift in their mode (the organisation's news) ...
        assert (await ana_ws.receive_json_from(timeout=2))["event"] == "shift.created"
        assert (await bert_ws.receive_json_from(timeout=2))["event"] == "shift.created"
        assert await ana_ws.receive_nothing(timeout=0.2)
        # ... and, once the worker has judged who could claim it, only Ana is told it is for her.
        await run_worker()
        suggested = await ana_ws.receive_json_from(timeout=3)
        assert await bert_ws.receive_nothing(timeout=0.5)
        assert await ana_ws.receive_nothing(timeout=0.2)
    assert (suggested["type"], suggested["event"]) == ("event", "shift.suggested")
    assert suggested["shift"]["id"] == shift_id
    assert suggested["shift"]["title"] == "Bezoek met diploma"
    assert (suggested["shift"]["mode"], suggested["shift"]["capacity"]) == ("on_site", 2)
    assert "volunteers" not in suggested["shift"]

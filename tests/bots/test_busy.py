"""A volunteer whose cancellation meets rows held by someone else hears, in their language,
that nothing changed and to try again (the API's 503 ``busy``), not "something went wrong"."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from django.db import connection

from backend.organisations.models import Organisation
from backend.shifts.models import ClaimStatus
from backend.shifts.services import claim_create
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import FakeTelegram, Person
from tests.factories import shift_at
from tests.realtime.live import test_database_url as database_url

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_cancellation_that_cannot_get_its_lock_says_nothing_changed(
    organisation: Organisation,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks and lock timeouts are PostgreSQL's")
    anna = telegram_volunteer(organisation, 7101)
    shift = shift_at(organisation, starts_in=dt.timedelta(days=3), title="Zwemmen")
    mine = claim_create(volunteer=anna, shift_id=shift.pk).claim

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 7101)
        [listing] = await chat.send("/my")
        [question] = await chat.press(listing.button("Cancel 1"))
        with psycopg.connect(database_url()) as other:
            # Another request holds the shift (longer than the lock timeout, 5 s).
            other.execute("SELECT id FROM shifts_shift WHERE id = %s FOR UPDATE", [shift.pk])
            answer = await chat.press(question.button("Yes, cancel"), on=question)
            other.rollback()
        assert "very busy right now" in answer[-1].text
        assert "Nothing was changed" in answer[-1].text

    play(scenario)

    mine.refresh_from_db()
    assert mine.status == ClaimStatus.CONFIRMED

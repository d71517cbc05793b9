"""The database is lost while the bot handles a volunteer's update (a failover, a restart,
``pg_terminate_backend``, or the server out of reach): the volunteer hears, in their own
language, that nothing changed and to try again (the API's 503 ``database_unavailable``),
not "something went wrong" and not silence; once the database answers, so does the bot."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import psycopg
import pytest
from django.db import connection
from django.utils import translation

from backend.core.errors import DatabaseUnavailable
from backend.organisations.models import Organisation
from backend.shifts.models import ClaimStatus
from backend.shifts.services import claim_create
from bots import messages
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import FakeTelegram, Person
from tests.factories import shift_at
from tests.realtime.live import database_out_of_reach
from tests.realtime.live import test_database_url as database_url

pytestmark = pytest.mark.django_db(transaction=True)


def _try_again(language: str) -> str:
    with translation.override(language):
        return str(DatabaseUnavailable().detail)


def _terminate_the_backend_waiting_for_a_lock(admin: psycopg.Connection) -> int:
    """Wait (at most 4 s, under the 5 s lock timeout) for a session of the test database to
    wait for a row lock, and end it as a failover would; its pid."""
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        row = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ).fetchone()
        if row is not None:
            admin.execute("SELECT pg_terminate_backend(%s)", [row[0]])
            return int(row[0])
        time.sleep(0.02)
    raise AssertionError("the bot never waited for the lock")


def test_a_connection_cut_during_a_cancellation_says_nothing_changed_in_their_language(
    organisation: Organisation,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend and row locks are PostgreSQL's")
    anna = telegram_volunteer(organisation, 7201, language="fr")
    shift = shift_at(organisation, starts_in=dt.timedelta(days=3), title="Zwemmen")
    mine = claim_create(volunteer=anna, shift_id=shift.pk).claim

    async def scenario(fake: FakeTelegram) -> None:
        # Telegram guesses Dutch; her account says French, and the bot must know which.
        chat = Person(fake, 7201, language_code="nl")
        [listing] = await chat.send("/my")
        [question] = await chat.press(listing.button("Annuler 1"))
        with (
            psycopg.connect(database_url()) as holder,
            psycopg.connect(database_url(), autocommit=True) as admin,
        ):
            # Another request holds the shift, so the bot's cancellation is in flight (waiting
            # for the lock) when its connection is cut.
            holder.execute("SELECT id FROM shifts_shift WHERE id = %s FOR UPDATE", [shift.pk])
            pressing = asyncio.ensure_future(chat.press(question.button("Oui"), on=question))
            await asyncio.to_thread(_terminate_the_backend_waiting_for_a_lock, admin)
            answer = await pressing
            holder.rollback()
        assert [call.text for call in answer] == [_try_again("fr")]
        # The next update finds a fresh connection: the bot works again.
        [listing] = await chat.send("/my")
        assert "Zwemmen" in listing.text

    play(scenario)

    mine.refresh_from_db()
    assert mine.status == ClaimStatus.CONFIRMED


def test_a_database_out_of_reach_gets_the_try_again_sentence_once(
    organisation: Organisation,
) -> None:
    telegram_volunteer(organisation, 7202, language="fr")

    async def scenario(fake: FakeTelegram) -> None:
        # Without the database the bot cannot read her language: Telegram's guess it is.
        chat = Person(fake, 7202, language_code="en")
        with database_out_of_reach():
            answer = await chat.send("/my")
        assert [call.text for call in answer] == [_try_again("en")]
        answer = await chat.send("/help")
        assert answer[0].text == messages.help_text("fr")

    # The test's own connection would not notice: closed now, reopened after.
    connection.close()
    play(scenario)

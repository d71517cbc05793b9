"""/my's past shifts: the latest first, with the hours of completed ones and the totals."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from backend.accounts.models import User
from backend.organisations.models import Organisation
from backend.shifts.models import Claim, Shift
from backend.shifts.services import (
    claim_cancel,
    claim_confirm_attendance,
    claim_create,
    claim_mark_no_show,
)
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import FakeTelegram, Person
from tests.factories import shift_at

pytestmark = pytest.mark.django_db(transaction=True)


def _claimed_then_past(
    volunteer: User, organisation: Organisation, title: str, *, ago: dt.timedelta, hours: float
) -> Claim:
    """A claim made while the shift lay ahead; then the shift is moved to ``ago``."""
    shift = shift_at(organisation, starts_in=dt.timedelta(days=3), title=title)
    claim = claim_create(volunteer=volunteer, shift_id=shift.pk).claim
    starts = timezone.now() - ago
    Shift.objects.filter(pk=shift.pk).update(
        starts_at=starts, ends_at=starts + dt.timedelta(hours=hours)
    )
    return claim


def test_the_history_lists_past_shifts_with_their_hours_and_the_totals(
    organisation: Organisation, coordinator: User
) -> None:
    anna = telegram_volunteer(organisation, 7311)
    done = _claimed_then_past(anna, organisation, "Zwemmen", ago=dt.timedelta(hours=4), hours=2.5)
    claim_confirm_attendance(actor=coordinator, claim_id=done.pk)
    missed = _claimed_then_past(anna, organisation, "Petanque", ago=dt.timedelta(days=7), hours=2)
    claim_mark_no_show(actor=coordinator, claim_id=missed.pk)
    cancelled = shift_at(organisation, starts_in=dt.timedelta(days=3), title="Breien")
    claim = claim_create(volunteer=anna, shift_id=cancelled.pk).claim
    claim_cancel(actor=anna, claim_id=claim.pk)
    Shift.objects.filter(pk=cancelled.pk).update(
        starts_at=timezone.now() - dt.timedelta(days=2),
        ends_at=timezone.now() - dt.timedelta(days=2) + dt.timedelta(hours=2),
    )
    _claimed_then_past(anna, organisation, "Voorlezen", ago=dt.timedelta(days=10), hours=1)
    claim_create(
        volunteer=anna,
        shift_id=shift_at(organisation, starts_in=dt.timedelta(days=6), title="Komt nog").pk,
    )
    texts: list[str] = []

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 7311)
        [listing] = await chat.send("/my")
        [answer] = await chat.press(listing.button("Past shifts and hours"))
        texts.append(answer.text)

    play(scenario)

    [text] = texts
    lines = text.splitlines()
    assert lines[0] == "Your past shifts, latest first:"
    shown = [line for line in lines if " · " in line]
    assert [line.split(" · ")[1:] for line in shown] == [
        ["Zwemmen", "WZC De Linde", "2 h 30 min"],
        ["Petanque", "WZC De Linde", "absent"],
        ["Voorlezen", "WZC De Linde", "attendance not recorded yet"],
    ]
    assert "Breien" not in text and "Komt nog" not in text
    zone = ZoneInfo(organisation.time_zone)
    year = timezone.localdate().year
    this_year = Claim.objects.get(pk=done.pk).shift.starts_at.astimezone(zone).year == year
    if this_year:
        assert f"In {year}: 2 h 30 min in 1 shift." in lines
    assert lines[-1] == "In all: 2 h 30 min in 1 shift."


def test_a_volunteer_without_past_shifts_is_told_so(organisation: Organisation) -> None:
    telegram_volunteer(organisation, 7312)

    async def scenario(fake: FakeTelegram) -> None:
        [answer] = await Person(fake, 7312).press("history")
        assert answer.text == "You have no past shifts yet. Send /shifts to find one."

    play(scenario)

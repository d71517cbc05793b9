from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async as db
from django.utils import timezone

from backend.organisations.models import Organisation, Role
from backend.shifts.models import Claim, ClaimStatus
from backend.shifts.services import claim_create
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import Call, FakeTelegram, Person
from tests.factories import ShiftFactory, shift_at

pytestmark = pytest.mark.django_db(transaction=True)

# The buttons under the claims: test_calendar_link.py, test_history.py, test_leaving.py.
MENU = {"calendar", "history", "leave"}


def claim_buttons(listing: Call) -> list[str]:
    return [label for label, data in listing.buttons if data not in MENU]


def test_cancel_with_confirmation_frees_the_seat_for_the_waitlist(
    organisation: Organisation,
    make_volunteer,  # type: ignore[no-untyped-def]
) -> None:
    anna = telegram_volunteer(organisation, 7001)
    # Three days ahead: well before the 24-hour cancellation deadline at any time of day
    # (the factory's "tomorrow 14:00" is past it every afternoon).
    shift = shift_at(organisation, starts_in=dt.timedelta(days=3), title="Zwemmen", capacity=1)
    mine = claim_create(volunteer=anna, shift_id=shift.pk).claim
    waiting = claim_create(volunteer=make_volunteer(), shift_id=shift.pk).claim

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 7001)
        [listing] = await chat.send("/my")
        assert "Your upcoming shifts:" in listing.text and "Zwemmen" in listing.text
        [question] = await chat.press(listing.button("Cancel 1"))
        assert "Do you want to cancel Zwemmen" in question.text
        assert "deadline has passed" not in question.text
        [done] = await chat.press(question.button("Yes, cancel"), on=question)
        assert done.method == "editMessageText"
        assert done.text == "Cancelled: Zwemmen. Thank you for letting us know."
        [empty] = await chat.send("/my")
        assert "no upcoming shifts" in empty.text

    play(scenario)

    mine.refresh_from_db()
    waiting.refresh_from_db()
    assert (mine.status, mine.late_cancellation) == (ClaimStatus.CANCELLED, False)
    assert waiting.status == ClaimStatus.CONFIRMED


def test_declining_the_confirmation_keeps_the_claim(organisation: Organisation) -> None:
    bram = telegram_volunteer(organisation, 7002)
    claim = claim_create(volunteer=bram, shift_id=ShiftFactory(organisation=organisation).pk).claim

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 7002)
        [listing] = await chat.send("/my")
        [question] = await chat.press(listing.button("Cancel 1"))
        [kept] = await chat.press(question.button("No, keep it"), on=question)
        assert kept.text == "Fine, you keep your place."

    play(scenario)

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CONFIRMED


def test_cancelling_past_the_deadline_warns_and_records_it_as_late(
    organisation: Organisation,
) -> None:
    cora = telegram_volunteer(organisation, 7003)
    soon = timezone.now() + dt.timedelta(hours=3)
    shift = ShiftFactory(
        organisation=organisation,
        starts_at=soon,
        ends_at=soon + dt.timedelta(hours=1),
        cancellation_deadline_hours=24,
    )
    claim = claim_create(volunteer=cora, shift_id=shift.pk).claim

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 7003)
        [listing] = await chat.send("/my")
        [question] = await chat.press(listing.button("Cancel 1"))
        assert "the cancellation deadline has passed" in question.text
        await chat.press(question.button("Yes, cancel"), on=question)

    play(scenario)

    claim.refresh_from_db()
    assert (claim.status, claim.late_cancellation) == (ClaimStatus.CANCELLED, True)


def test_a_forged_callback_for_another_volunteers_claim_is_refused(
    organisation: Organisation,
    make_volunteer,  # type: ignore[no-untyped-def]
) -> None:
    # Even a coordinator, whom the service would let cancel any claim of the organisation,
    # acts only on their own claims through the bot.
    telegram_volunteer(organisation, 7004, role=Role.COORDINATOR)
    shift = ShiftFactory(organisation=organisation)
    others = claim_create(volunteer=make_volunteer(), shift_id=shift.pk).claim

    async def scenario(fake: FakeTelegram) -> None:
        mallory = Person(fake, 7004)
        [refusal] = await mallory.press(f"cancelyes:{others.pk}")
        assert refusal.text == "Not found."
        [refusal] = await mallory.press(f"cancel:{others.pk}")
        assert refusal.text == "Not found."
        [refusal] = await mallory.press("claim:987654")
        assert refusal.text == "Not found."
        [refusal] = await mallory.press("cancelyes:1;DROP")
        assert "out of date" in refusal.text
        answered = [c for c in fake.calls if c.method == "answerCallbackQuery"]
        assert len(answered) == 4

    play(scenario)

    others.refresh_from_db()
    assert others.status == ClaimStatus.CONFIRMED
    assert Claim.objects.count() == 1


def test_a_shift_under_way_is_listed_without_a_cancel_button_but_with_check_in(
    organisation: Organisation,
) -> None:
    dirk = telegram_volunteer(organisation, 7005)
    shift = ShiftFactory(organisation=organisation, title="Nachtwake")
    claim_create(volunteer=dirk, shift_id=shift.pk)
    started = timezone.now() - dt.timedelta(minutes=10)
    type(shift).objects.filter(pk=shift.pk).update(
        starts_at=started, ends_at=started + dt.timedelta(hours=2)
    )

    async def scenario(fake: FakeTelegram) -> None:
        [listing] = await Person(fake, 7005).send("/my")
        assert "Nachtwake · under way" in listing.text
        # No Cancel button once it started; checking in is still possible.
        assert claim_buttons(listing) == ["Check in 1: Nachtwake"]

    play(scenario)


def test_on_the_day_the_volunteer_checks_in_and_out_from_my(organisation: Organisation) -> None:
    emma = telegram_volunteer(organisation, 7006)
    shift = ShiftFactory(organisation=organisation, title="Koffieronde")
    claim = claim_create(volunteer=emma, shift_id=shift.pk).claim
    soon = timezone.now() + dt.timedelta(minutes=20)
    type(shift).objects.filter(pk=shift.pk).update(
        starts_at=soon, ends_at=soon + dt.timedelta(hours=2)
    )

    async def scenario(fake: FakeTelegram) -> None:
        person = Person(fake, 7006)
        [listing] = await person.send("/my")
        assert listing.button("Check in 1: Koffieronde") == f"checkin:{claim.pk}"
        assert listing.button("Cancel 1: Koffieronde") == f"cancel:{claim.pk}"
        [checked_in] = await person.press(listing.button("Check in 1: Koffieronde"))
        assert checked_in.text.startswith("Checked in: Koffieronde")
        # Checked in early: leaving before the start is a cancellation, not a check-out.
        [listing] = await person.send("/my")
        assert claim_buttons(listing) == ["Cancel 1: Koffieronde"]
        started = timezone.now() - dt.timedelta(minutes=1)
        await db(
            lambda: (
                type(shift)
                .objects.filter(pk=shift.pk)
                .update(starts_at=started, ends_at=started + dt.timedelta(hours=2))
            )
        )()
        [listing] = await person.send("/my")
        assert claim_buttons(listing) == ["Check out 1: Koffieronde"]
        [checked_out] = await person.press(listing.button("Check out 1: Koffieronde"))
        assert checked_out.text.startswith("Checked out: Koffieronde, 0 h ")

    play(scenario)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.COMPLETED
    assert claim.checked_in_at is not None and claim.checked_out_at is not None


def test_check_in_is_not_offered_before_the_day(organisation: Organisation) -> None:
    fien = telegram_volunteer(organisation, 7007)
    claim_create(volunteer=fien, shift_id=ShiftFactory(organisation=organisation).pk)

    async def scenario(fake: FakeTelegram) -> None:
        [listing] = await Person(fake, 7007).send("/my")
        assert not any(label.startswith("Check in") for label, _ in listing.buttons)

    play(scenario)

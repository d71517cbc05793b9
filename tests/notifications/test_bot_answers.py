"""Answering reminders and follow-ups in the bot (the real bot stack, the fake Bot API)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.notifications.models import ClaimFeedback, Kind, Notification
from backend.organisations.models import Organisation
from backend.shifts.models import ClaimStatus, Shift
from backend.shifts.services import claim_create
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import FakeTelegram, Person
from tests.factories import ShiftFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_im_coming_is_recorded_and_i_cant_make_it_cancels_so_the_waitlist_moves_up(
    organisation: Organisation,
) -> None:
    anna = telegram_volunteer(organisation, 8001)
    bob = telegram_volunteer(organisation, 8002)
    shift = ShiftFactory(organisation=organisation, title="Zwemmen", capacity=1)
    mine = claim_create(volunteer=anna, shift_id=shift.pk).claim
    waiting = claim_create(volunteer=bob, shift_id=shift.pk).claim

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 8001)
        [noted] = await chat.press(f"coming:{mine.pk}")
        assert noted.text.startswith("Thank you! We count on you for Zwemmen")
        # The reminder's buttons go: the answer is given.
        [cleared] = [c for c in fake.calls if c.method == "editMessageReplyMarkup"]
        assert cleared.chat_id == 8001 and not cleared.params.get("reply_markup")
        # Someone else's claim id in a forged button: refused, nothing recorded.
        [refused] = await Person(fake, 8002).press(f"coming:{mine.pk}")
        assert "Thank you" not in refused.text
        [question] = await chat.press(f"cancel:{mine.pk}")
        assert "Do you want to cancel Zwemmen" in question.text
        await chat.press(question.button("Yes, cancel"), on=question)

    play(scenario)
    feedback = ClaimFeedback.objects.get(claim=mine)
    assert feedback.attendance_confirmed_at is not None
    mine.refresh_from_db()
    waiting.refresh_from_db()
    assert mine.status == ClaimStatus.CANCELLED
    assert waiting.status == ClaimStatus.CONFIRMED
    # Bob's promotion is on its way to him (the worker sends it).
    assert Notification.objects.filter(kind=Kind.PROMOTED, claim=waiting).exists()


def test_a_low_score_and_a_comment_are_stored_and_put_on_the_follow_up_list(
    organisation: Organisation,
) -> None:
    anna = telegram_volunteer(organisation, 8003)
    shift = ShiftFactory(organisation=organisation, title="Wandeling")
    claim = claim_create(volunteer=anna, shift_id=shift.pk).claim
    # The shift took place.
    start = timezone.now() - dt.timedelta(hours=3)
    Shift.objects.filter(pk=shift.pk).update(starts_at=start, ends_at=start + dt.timedelta(hours=2))

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 8003)
        [scored] = await chat.press(f"score:{claim.pk}:2")
        assert scored.text.startswith("Thank you for your answer (2/5)")
        [thanks] = await chat.send("The residents were lovely but nobody expected me")
        assert thanks.text == "Thank you, the coordinators will read it."
        [help_answer] = await chat.send("hello?")
        assert "coordinators will read it" not in help_answer.text

    play(scenario)
    feedback = ClaimFeedback.objects.get(claim=claim)
    assert (feedback.score, feedback.needs_follow_up) == (2, True)
    assert feedback.comment == "The residents were lovely but nobody expected me"

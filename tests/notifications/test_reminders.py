"""A shift's life in time: reminders, follow-up, cancellations, moves, quiet hours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backend.accounts.models import User
from backend.notifications.models import Kind, Notification, Status
from backend.notifications.schedule import deferred_for_quiet_hours, reminder_due
from backend.notifications.services import reminder_settings_set
from backend.notifications.worker import Worker
from backend.organisations.models import Organisation, Role
from backend.shifts.services import claim_cancel, claim_create, shift_cancel, shift_update
from tests.bots.fake_telegram import FakeTelegram
from tests.factories import ShiftFactory
from tests.notifications.conftest import messages_to

BRUSSELS = ZoneInfo("Europe/Brussels")


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in March 2030, Brussels time (no DST change that month before the 31st)."""
    return dt.datetime(2030, 3, day, hour, minute, tzinfo=BRUSSELS)


def test_a_shift_gets_both_reminders_and_the_follow_up_once_each_at_their_times(
    organisation: Organisation,
    on_telegram: Callable[..., User],
    fake: FakeTelegram,
    worker: Worker,
) -> None:
    with time_machine.travel(local(4, 10), tick=True) as traveller:
        shift = ShiftFactory(
            organisation=organisation, starts_at=local(7, 14), ends_at=local(7, 17)
        )
        anna = on_telegram(501)
        claim = claim_create(volunteer=anna, shift_id=shift.pk).claim
        steps = [
            (local(4, 10), 0),
            (local(6, 13, 59), 0),
            (local(6, 14), 1),  # 24 hours before
            (local(6, 20), 1),
            (local(7, 11, 59), 1),
            (local(7, 12), 2),  # 2 hours before
            (local(7, 17, 59), 2),
            (local(7, 18), 3),  # the follow-up, an hour after the end
            (local(9, 12), 3),
        ]
        for moment, expected in steps:
            traveller.move_to(moment)
            worker.run_until_idle()
            worker.run_until_idle()
            assert len(fake.sent_to(501)) == expected, moment
    first, second, follow_up = fake.sent_to(501)
    assert first.text.startswith("Reminder: ") and "Kerkstraat 1" in first.text
    assert first.button("I'm coming") == f"coming:{claim.pk}"
    assert first.button("I can't make it") == f"cancel:{claim.pk}"
    assert second.text == first.text
    assert "How did it go?" in follow_up.text
    assert [label for label, _data in follow_up.buttons] == ["1", "2", "3", "4", "5"]
    assert follow_up.button("1") == f"score:{claim.pk}:1"


def test_a_claim_cancelled_before_its_reminders_gets_none(
    organisation: Organisation,
    on_telegram: Callable[..., User],
    fake: FakeTelegram,
    worker: Worker,
) -> None:
    with time_machine.travel(local(4, 10), tick=True) as traveller:
        shift = ShiftFactory(
            organisation=organisation, starts_at=local(7, 14), ends_at=local(7, 17)
        )
        anna = on_telegram(502)
        claim = claim_create(volunteer=anna, shift_id=shift.pk).claim
        worker.run_until_idle()
        traveller.move_to(local(5, 9))
        claim_cancel(actor=anna, claim_id=claim.pk)
        for moment in (local(6, 14), local(7, 12), local(7, 18)):
            traveller.move_to(moment)
            worker.run_until_idle()
    assert fake.sent_to(502) == []
    assert set(
        Notification.objects.filter(
            claim=claim, kind__in=[Kind.REMINDER, Kind.FOLLOW_UP]
        ).values_list("status", flat=True)
    ) == {Status.DROPPED}


def test_a_moved_shift_drops_the_old_reminders_and_sends_new_ones_at_the_new_times(
    organisation: Organisation,
    coordinator: User,
    on_telegram: Callable[..., User],
    fake: FakeTelegram,
    worker: Worker,
) -> None:
    with time_machine.travel(local(4, 10), tick=True) as traveller:
        shift = ShiftFactory(
            organisation=organisation, starts_at=local(7, 14), ends_at=local(7, 17)
        )
        anna = on_telegram(503)
        claim_create(volunteer=anna, shift_id=shift.pk)
        worker.run_until_idle()
        shift_update(
            actor=coordinator, shift_id=shift.pk, starts_at=local(8, 15), ends_at=local(8, 17)
        )
        worker.run_until_idle()
        [changed] = messages_to(fake, 503)
        assert "changed" in changed and "15:00" in changed and "was" in changed
        for moment in (local(6, 14), local(7, 12)):  # the old reminder times
            traveller.move_to(moment)
            worker.run_until_idle()
        assert len(fake.sent_to(503)) == 1
        traveller.move_to(local(7, 15))
        worker.run_until_idle()
        traveller.move_to(local(8, 13))
        worker.run_until_idle()
    texts = messages_to(fake, 503)
    assert len(texts) == 3
    assert all(text.startswith("Reminder: ") and "15:00" in text for text in texts[1:])


def test_a_shift_moved_away_and_back_gets_its_reminders_at_the_original_times(
    organisation: Organisation,
    coordinator: User,
    on_telegram: Callable[..., User],
    fake: FakeTelegram,
    worker: Worker,
) -> None:
    with time_machine.travel(local(4, 10), tick=True) as traveller:
        shift = ShiftFactory(
            organisation=organisation, starts_at=local(7, 14), ends_at=local(7, 17)
        )
        anna = on_telegram(514)
        claim_create(volunteer=anna, shift_id=shift.pk)
        worker.run_until_idle()
        for start in (local(8, 14), local(7, 14)):
            shift_update(
                actor=coordinator,
                shift_id=shift.pk,
                starts_at=start,
                ends_at=start + dt.timedelta(hours=3),
            )
            worker.run_until_idle()
        assert len(fake.sent_to(514)) == 2  # the two moves
        for moment in (local(6, 14), local(7, 12)):
            traveller.move_to(moment)
            worker.run_until_idle()
    assert [t.startswith("Reminder: ") for t in messages_to(fake, 514)] == [
        False,
        False,
        True,
        True,
    ]


def test_reminders_follow_the_volunteers_offsets_and_stay_off_when_switched_off(
    organisation: Organisation,
    on_telegram: Callable[..., User],
    fake: FakeTelegram,
    worker: Worker,
) -> None:
    with time_machine.travel(local(4, 10), tick=True) as traveller:
        shift = ShiftFactory(
            organisation=organisation, starts_at=local(7, 14), ends_at=local(7, 17)
        )
        anna, bob = on_telegram(504), on_telegram(505)
        reminder_settings_set(user=anna, offsets_minutes=[30])
        reminder_settings_set(user=bob, enabled=False)
        claim_create(volunteer=anna, shift_id=shift.pk)
        claim_create(volunteer=bob, shift_id=shift.pk)
        worker.run_until_idle()
        for moment in (local(6, 14), local(7, 12), local(7, 13, 29)):
            traveller.move_to(moment)
            worker.run_until_idle()
        assert fake.sent_to(504) == [] and fake.sent_to(505) == []
        traveller.move_to(local(7, 13, 30))
        worker.run_until_idle()
    assert len(fake.sent_to(504)) == 1 and fake.sent_to(505) == []


def test_a_worker_that_was_down_drops_reminders_of_started_shifts_and_sends_the_rest_at_once(
    organisation: Organisation,
    on_telegram: Callable[..., User],
    fake: FakeTelegram,
    worker: Worker,
) -> None:
    with time_machine.travel(local(4, 10), tick=True) as traveller:
        early = ShiftFactory(organisation=organisation, starts_at=local(5, 9), ends_at=local(5, 11))
        later = ShiftFactory(
            organisation=organisation, starts_at=local(5, 16), ends_at=local(5, 18)
        )
        anna = on_telegram(506)
        claim_create(volunteer=anna, shift_id=early.pk)
        claim_create(volunteer=anna, shift_id=later.pk)
        worker.run_until_idle()
        # Down from 10:00 on the 4th until 10:00 on the 5th: early's reminders are useless now,
        # later's 24-hour reminder is late but still useful.
        traveller.move_to(local(5, 10))
        worker.run_until_idle()
    [sent] = messages_to(fake, 506)
    assert later.title in sent
    assert (
        Notification.objects.get(
            kind=Kind.REMINDER, shift=early, scheduled_for=local(5, 7)
        ).last_error
        == "the shift has started"
    )


def test_quiet_hours_move_a_reminder_to_eight_if_an_hour_remains_else_to_the_evening_before() -> (
    None
):
    # 2 hours before a 09:30 shift is 07:30, in quiet hours: 08:00 is still an hour before.
    assert reminder_due(local(7, 7, 30), local(7, 9, 30), BRUSSELS) == local(7, 8)
    # 2 hours before an 08:30 shift: 08:00 is too close, so 21:59 the evening before.
    assert reminder_due(local(7, 6, 30), local(7, 8, 30), BRUSSELS) == local(6, 21, 59)
    # A reminder at 23:00 for a shift at 11:00 next day moves to 08:00.
    assert reminder_due(local(6, 23), local(7, 11), BRUSSELS) == local(7, 8)
    # Outside quiet hours nothing moves.
    assert reminder_due(local(7, 12), local(7, 14), BRUSSELS) == local(7, 12)


def test_in_quiet_hours_only_messages_about_a_shift_within_twelve_hours_go_out() -> None:
    assert deferred_for_quiet_hours(local(4, 23), local(7, 14), BRUSSELS) == local(5, 8)
    assert deferred_for_quiet_hours(local(4, 23), local(5, 10), BRUSSELS) is None
    assert deferred_for_quiet_hours(local(5, 3), local(7, 14), BRUSSELS) == local(5, 8)
    assert deferred_for_quiet_hours(local(4, 21, 59), local(7, 14), BRUSSELS) is None


def test_a_reminder_in_quiet_hours_goes_out_the_evening_before(
    organisation: Organisation,
    on_telegram: Callable[..., User],
    fake: FakeTelegram,
    worker: Worker,
) -> None:
    with time_machine.travel(local(4, 10), tick=True) as traveller:
        shift = ShiftFactory(
            organisation=organisation, starts_at=local(7, 8, 30), ends_at=local(7, 11)
        )
        anna = on_telegram(507)
        claim_create(volunteer=anna, shift_id=shift.pk)
        worker.run_until_idle()
        traveller.move_to(local(6, 21, 58))
        worker.run_until_idle()
        assert len(fake.sent_to(507)) == 1  # the 24-hour one, at 08:30 on the 6th
        traveller.move_to(local(6, 21, 59))
        worker.run_until_idle()
        assert len(fake.sent_to(507)) == 2
        traveller.move_to(local(7, 6, 30))
        worker.run_until_idle()
    assert len(fake.sent_to(507)) == 2


def test_a_claim_made_at_night_gets_no_reminder_moved_into_the_past_by_quiet_hours(
    organisation: Organisation,
    on_telegram: Callable[..., User],
    fake: FakeTelegram,
    worker: Worker,
) -> None:
    # Claimed at 01:30 for 06:30: the 2-hour reminder (04:30) would move to 21:59 the
    # evening before, which has passed. Nobody is woken up at 01:30 to be reminded of the
    # shift they claimed a minute ago.
    with time_machine.travel(local(7, 1, 30), tick=True) as traveller:
        shift = ShiftFactory(
            organisation=organisation, starts_at=local(7, 6, 30), ends_at=local(7, 8)
        )
        anna = on_telegram(508)
        claim_create(volunteer=anna, shift_id=shift.pk)
        worker.run_until_idle()
        worker.run_until_idle()
        assert fake.sent_to(508) == []
        traveller.move_to(local(7, 6, 0))
        worker.run_until_idle()
    assert fake.sent_to(508) == []
    assert not Notification.objects.filter(user=anna, kind=Kind.REMINDER).exists()


def test_cancellation_messages_wait_for_the_morning_unless_the_shift_is_soon(
    organisation: Organisation,
    coordinator: User,
    on_telegram: Callable[..., User],
    fake: FakeTelegram,
    worker: Worker,
) -> None:
    with time_machine.travel(local(4, 10), tick=True) as traveller:
        far = ShiftFactory(organisation=organisation, starts_at=local(7, 14), ends_at=local(7, 17))
        soon = ShiftFactory(organisation=organisation, starts_at=local(5, 7), ends_at=local(5, 9))
        anna, bob = on_telegram(508), on_telegram(509)
        claim_create(volunteer=anna, shift_id=far.pk)
        claim_create(volunteer=bob, shift_id=soon.pk)
        traveller.move_to(local(4, 23))
        shift_cancel(actor=coordinator, shift_id=far.pk)
        shift_cancel(actor=coordinator, shift_id=soon.pk)
        worker.run_until_idle()
        assert fake.sent_to(508) == []
        [cancelled] = messages_to(fake, 509)
        assert "is cancelled" in cancelled
        traveller.move_to(local(5, 8))
        worker.run_until_idle()
    [cancelled] = messages_to(fake, 508)
    assert far.title in cancelled


def test_promotion_and_late_cancellation_are_told_at_once(
    organisation: Organisation,
    on_telegram: Callable[..., User],
    fake: FakeTelegram,
    worker: Worker,
) -> None:
    with time_machine.travel(local(6, 20), tick=True):
        shift = ShiftFactory(
            organisation=organisation, starts_at=local(7, 14), ends_at=local(7, 17), capacity=1
        )
        anna, bob = on_telegram(510), on_telegram(511)
        on_telegram(512, role=Role.COORDINATOR)
        claim = claim_create(volunteer=anna, shift_id=shift.pk).claim
        claim_create(volunteer=bob, shift_id=shift.pk)
        worker.run_until_idle()
        claim_cancel(actor=anna, claim_id=claim.pk)  # within the 24-hour deadline: late
        worker.run_until_idle()
    [promoted] = messages_to(fake, 511)
    assert promoted.startswith("Good news") and "Kerkstraat 1" in promoted
    [late] = messages_to(fake, 512)
    assert late.startswith("Late cancellation: Person 510")
    # Bob's 2-hour reminder was planned when he moved up.
    assert Notification.objects.filter(
        kind=Kind.REMINDER, user=bob, status=Status.PENDING, scheduled_for=local(7, 12)
    ).exists()


@pytest.mark.parametrize("language, word", [("nl", "Herinnering"), ("fr", "Rappel")])
def test_reminders_are_in_the_volunteers_language(
    organisation: Organisation,
    on_telegram: Callable[..., User],
    fake: FakeTelegram,
    worker: Worker,
    language: str,
    word: str,
) -> None:
    with time_machine.travel(local(6, 13), tick=True) as traveller:
        shift = ShiftFactory(
            organisation=organisation, starts_at=local(7, 14), ends_at=local(7, 17)
        )
        anna = on_telegram(513, language=language)
        claim_create(volunteer=anna, shift_id=shift.pk)
        worker.run_until_idle()
        traveller.move_to(local(6, 14))
        worker.run_until_idle()
    [reminder] = messages_to(fake, 513)
    assert reminder.startswith(word)

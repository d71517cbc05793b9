"""The weekly digest (backend/notifications/digest.py): what it lists, once a week, never in
quiet hours, and what is left of it when it is sent."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from backend.accounts.models import User, VolunteerProfile
from backend.notifications.digest import digests_plan, planning_open, week_of
from backend.notifications.models import Kind, Notification, Status
from backend.notifications.worker import Worker
from backend.organisations.models import Organisation, Role, VolunteerQualification
from backend.shifts.models import Shift, ShiftMode
from backend.shifts.services import claim_create, shift_cancel, shift_create
from tests.bots.fake_telegram import FakeTelegram
from tests.factories import MembershipFactory, QualificationFactory

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")


def local(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in 2030, Brussels time; 4 March 2030 is a Monday."""
    return dt.datetime(2030, month, day, hour, minute, tzinfo=BRUSSELS)


def subscriber(
    organisation: Organisation,
    *,
    chat_id: int | None = None,
    digest: bool = True,
    mode: str = "both",
) -> User:
    user = MembershipFactory(organisation=organisation, role=Role.VOLUNTEER).user
    VolunteerProfile.objects.filter(user=user).update(
        weekly_digest=digest, mode_preference=mode, language="en", telegram_chat_id=chat_id
    )
    return User.objects.get(pk=user.pk)


def publish(
    coordinator: User,
    organisation: Organisation,
    title: str,
    starts_at: dt.datetime,
    **fields: object,
) -> Shift:
    """Published through the service, now: its ``shift_published`` row says when."""
    values: dict[str, object] = {"capacity": 2, "address": "Kerkstraat 1, 9000 Gent"}
    return shift_create(
        actor=coordinator,
        organisation=organisation,
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
        publish=True,
        **(values | fields),
    )


def digests() -> list[Notification]:
    return list(Notification.objects.filter(kind=Kind.DIGEST).order_by("created_at", "pk"))


def test_planning_opens_on_monday_at_nine_for_a_day() -> None:
    assert not planning_open(local(3, 4, 8, 59))
    assert planning_open(local(3, 4, 9))
    assert planning_open(local(3, 5, 8, 59))
    assert not planning_open(local(3, 5, 9))
    assert not planning_open(local(3, 10, 12))  # Sunday
    assert week_of(local(3, 4, 9)) == "2030-W10"


def test_the_digest_lists_the_ten_soonest_new_shifts_the_volunteer_could_claim(
    organisation: Organisation,
    other_organisation: Organisation,
    coordinator: User,
    outsider: User,
    fake: FakeTelegram,
    worker: Worker,
) -> None:
    anna = subscriber(organisation, chat_id=701, mode="on_site")
    bob = subscriber(organisation, digest=False)
    held, missing = (QualificationFactory(organisation=organisation) for _ in range(2))
    VolunteerQualification.objects.create(user=anna, qualification=held)
    with time_machine.travel(local(3, 1, 10), tick=True) as traveller:
        first = publish(
            coordinator,
            organisation,
            "First aid",
            local(3, 5, 9),
            required_qualification_ids=[held.pk],
        )
        plain = [
            publish(coordinator, organisation, f"Walk {n}", local(3, 5, 10) + dt.timedelta(hours=n))
            for n in range(11)
        ]
        publish(
            coordinator,
            organisation,
            "Needs a course",
            local(3, 5, 8),
            required_qualification_ids=[missing.pk],
        )
        publish(
            coordinator,
            organisation,
            "Phone round",
            local(3, 5, 7),
            mode=ShiftMode.ONLINE,
            address="",
            meeting_link="https://meet.example/x",
        )
        full = publish(
            coordinator, organisation, "Full", local(3, 5, 6), capacity=1, waitlist_enabled=False
        )
        claim_create(volunteer=bob, shift_id=full.pk)
        mine = publish(coordinator, organisation, "Mine", local(3, 5, 5))
        claim_create(volunteer=anna, shift_id=mine.pk)
        publish(outsider, other_organisation, "Elsewhere", local(3, 5, 4))
        shift_create(
            actor=coordinator,
            organisation=organisation,
            title="Draft",
            starts_at=local(3, 5, 3),
            ends_at=local(3, 5, 4),
            capacity=2,
            address="Kerkstraat 1, 9000 Gent",
        )
        traveller.move_to(local(3, 4, 9, 30))
        assert digests_plan(now=timezone.now()) == 1
        worker.run_until_idle()
    [row] = digests()
    assert (row.user_id, row.key, row.shift_id) == (anna.pk, f"digest:{anna.pk}:2030-W10", first.pk)
    assert row.payload["shift_ids"] == [first.pk] + [s.pk for s in plain[:9]]
    assert row.status == Status.SENT
    # (Her claim's reminder came too.)
    [message] = [m for m in fake.sent_to(701) if m.text.startswith("New shifts")]
    lines = message.text.splitlines()
    assert lines[0] == "New shifts for you this week:"
    assert lines[1].startswith("1. First aid (WZC De Linde), ") and lines[1].endswith(", Gent")
    assert lines[2].startswith("2. Walk 0 (WZC De Linde), ")
    assert lines[10].startswith("10. Walk 8 ")
    assert lines[11] == "Claim one with its button, or see /shifts for every open shift."
    assert message.buttons == [
        (f"Claim {n}", f"claim:{shift_id}")
        for n, shift_id in enumerate(row.payload["shift_ids"], start=1)
    ]


def test_a_digest_goes_once_a_week_with_what_was_published_since_the_last(
    organisation: Organisation, coordinator: User
) -> None:
    anna = subscriber(organisation)
    with time_machine.travel(local(3, 1, 10), tick=True) as traveller:
        old = publish(coordinator, organisation, "Old news", local(3, 20, 10))
        traveller.move_to(local(3, 4, 8, 59))
        assert digests_plan(now=timezone.now()) == 0  # not yet
        traveller.move_to(local(3, 4, 9, 30))
        assert digests_plan(now=timezone.now()) == 1
        traveller.move_to(local(3, 4, 15))
        new = publish(coordinator, organisation, "New", local(3, 21, 10))
        assert digests_plan(now=timezone.now()) == 0  # this week's is planned
        traveller.move_to(local(3, 5, 10))
        assert digests_plan(now=timezone.now()) == 0  # Tuesday: the window is over
        traveller.move_to(local(3, 11, 9, 5))
        assert digests_plan(now=timezone.now()) == 1
        traveller.move_to(local(3, 18, 9, 5))
        assert digests_plan(now=timezone.now()) == 0  # nothing new: no digest
    first, second = digests()
    assert first.payload["shift_ids"] == [old.pk]
    assert (second.key, second.payload["shift_ids"]) == (f"digest:{anna.pk}:2030-W11", [new.pk])


def test_a_volunteer_who_did_not_opt_in_gets_no_digest(
    organisation: Organisation, coordinator: User
) -> None:
    subscriber(organisation, digest=False)
    with time_machine.travel(local(3, 1, 10), tick=True) as traveller:
        publish(coordinator, organisation, "Walk", local(3, 20, 10))
        traveller.move_to(local(3, 4, 9, 30))
        assert digests_plan(now=timezone.now()) == 0


def test_a_digest_planned_late_at_night_waits_for_the_morning(
    organisation: Organisation, coordinator: User, fake: FakeTelegram, worker: Worker
) -> None:
    subscriber(organisation, chat_id=702)
    with time_machine.travel(local(3, 1, 10), tick=True) as traveller:
        # A shift within 12 hours would let most messages through at night; not a digest.
        publish(coordinator, organisation, "Early walk", local(3, 5, 10))
        traveller.move_to(local(3, 4, 23))
        assert digests_plan(now=timezone.now()) == 1
        worker.run_until_idle()
        assert fake.sent_to(702) == []
        [row] = digests()
        assert row.due_at == local(3, 5, 8)
        traveller.move_to(local(3, 5, 8))
        worker.run_until_idle()
    [message] = fake.sent_to(702)
    assert "1. Early walk" in message.text


def test_when_sent_a_digest_leaves_out_shifts_closed_since_and_is_dropped_if_off_or_empty(
    organisation: Organisation, coordinator: User, fake: FakeTelegram, worker: Worker
) -> None:
    anna = subscriber(organisation, chat_id=703)
    bob = subscriber(organisation, chat_id=704)
    cora = subscriber(organisation, chat_id=705)
    with time_machine.travel(local(3, 1, 10), tick=True) as traveller:
        cancelled = publish(coordinator, organisation, "Cancelled", local(3, 20, 10))
        kept = publish(
            coordinator,
            organisation,
            "Kept",
            local(3, 21, 10),
            mode=ShiftMode.ONLINE,
            address="",
            meeting_link="https://meet.example/x",
        )
        traveller.move_to(local(3, 4, 9, 30))
        assert digests_plan(now=timezone.now()) == 3
        shift_cancel(actor=coordinator, shift_id=cancelled.pk)
        VolunteerProfile.objects.filter(user=bob).update(weekly_digest=False)
        Notification.objects.filter(kind=Kind.DIGEST, user=cora).update(
            payload={"shift_ids": [cancelled.pk]}
        )
        worker.run_until_idle()
    reasons = dict(
        Notification.objects.filter(kind=Kind.DIGEST, status=Status.DROPPED).values_list(
            "user_id", "last_error"
        )
    )
    assert reasons == {bob.pk: "the weekly digest is off", cora.pk: "nothing left to offer"}
    [message] = fake.sent_to(703)
    assert message.text.splitlines()[1].startswith("1. Kept (WZC De Linde), ")
    assert message.text.splitlines()[1].endswith(", online")
    assert message.buttons == [("Claim 1", f"claim:{kept.pk}")]
    assert Notification.objects.get(kind=Kind.DIGEST, user=anna).status == Status.SENT

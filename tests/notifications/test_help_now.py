"""Help now: a short shift starting within 3 hours, offered once to the volunteers who opted in
(backend/notifications/help_now.py), and how the worker sends the offer."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import close_old_connections, connection
from django.utils import timezone

from backend.accounts.models import User, VolunteerProfile
from backend.notifications import help_now
from backend.notifications.help_now import help_now_offer, is_nearby, postcode_area
from backend.notifications.models import Kind, Notification, Status
from backend.notifications.worker import Worker
from backend.organisations.models import Organisation, Role, VolunteerQualification
from backend.shifts.models import Shift, ShiftMode
from backend.shifts.services import claim_create
from tests.bots.fake_telegram import FakeTelegram
from tests.factories import MembershipFactory, QualificationFactory, ShiftFactory

BRUSSELS = ZoneInfo("Europe/Brussels")


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in March 2030, Brussels time."""
    return dt.datetime(2030, 3, day, hour, minute, tzinfo=BRUSSELS)


def opted_in(
    organisation: Organisation,
    *,
    mode: str = "both",
    postcode: str = "9000",
    alerts: bool = True,
    role: str = Role.VOLUNTEER,
    chat_id: int | None = None,
) -> User:
    user = MembershipFactory(organisation=organisation, role=role).user
    VolunteerProfile.objects.filter(user=user).update(
        help_now_alerts=alerts,
        mode_preference=mode,
        postcode=postcode,
        language="en",
        telegram_chat_id=chat_id,
    )
    return User.objects.get(pk=user.pk)


def online_shift(organisation: Organisation, starts_at: dt.datetime, **fields: object) -> Shift:
    values: dict[str, object] = {
        "mode": ShiftMode.ONLINE,
        "address": "",
        "meeting_link": "https://meet.example/x",
        "capacity": 3,
    }
    return ShiftFactory(
        organisation=organisation,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
        **(values | fields),
    )


def onsite_shift(organisation: Organisation, starts_at: dt.datetime, **fields: object) -> Shift:
    return ShiftFactory(
        organisation=organisation,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
        **({"capacity": 3} | fields),
    )


def offers() -> set[tuple[int, int]]:
    """(volunteer, shift) of every help-now row."""
    return set(Notification.objects.filter(kind=Kind.HELP_NOW).values_list("user_id", "shift_id"))


# --- who and which shifts --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_short_shift_is_offered_up_to_three_hours_before_it_starts_and_not_earlier(
    organisation: Organisation,
) -> None:
    anna = opted_in(organisation)
    with time_machine.travel(local(4, 10), tick=False):
        now = timezone.now()
        at_three_hours = online_shift(organisation, now + dt.timedelta(hours=3))
        later = online_shift(organisation, now + dt.timedelta(hours=3, seconds=1))
        started = online_shift(organisation, now - dt.timedelta(minutes=1))
        help_now_offer(now=now)
    assert offers() == {(anna.pk, at_three_hours.pk)}
    assert later.pk and started.pk


@pytest.mark.django_db
def test_only_a_shift_that_is_still_short_is_offered(organisation: Organisation) -> None:
    anna = opted_in(organisation)
    with time_machine.travel(local(4, 10), tick=False):
        now = timezone.now()
        full = online_shift(organisation, now + dt.timedelta(hours=1), capacity=1)
        short = online_shift(organisation, now + dt.timedelta(hours=1), capacity=2)
        claim_create(volunteer=opted_in(organisation, alerts=False), shift_id=full.pk)
        claim_create(volunteer=opted_in(organisation, alerts=False), shift_id=short.pk)
        not_open = online_shift(
            organisation, now + dt.timedelta(hours=1), claims_open_at=now + dt.timedelta(hours=1)
        )
        help_now_offer(now=now)
    assert offers() == {(anna.pk, short.pk)}
    assert not_open.pk


@pytest.mark.django_db
def test_only_volunteers_who_opted_in_and_could_claim_it_are_asked(
    organisation: Organisation, other_organisation: Organisation
) -> None:
    anna = opted_in(organisation)
    opted_in(organisation, alerts=False)
    opted_in(organisation, role=Role.COORDINATOR)
    opted_in(other_organisation)
    not_qualified = opted_in(organisation)
    claimed = opted_in(organisation)
    qualification = QualificationFactory(organisation=organisation)
    with time_machine.travel(local(4, 10), tick=False):
        now = timezone.now()
        shift = online_shift(organisation, now + dt.timedelta(hours=2))
        claim_create(volunteer=claimed, shift_id=shift.pk)
        needs = online_shift(organisation, now + dt.timedelta(hours=2, minutes=30))
        needs.required_qualifications.set([qualification])
        VolunteerQualification.objects.create(user=anna, qualification=qualification)
        help_now_offer(now=now)
    # Not the volunteer who opted out, the coordinator, another organisation's volunteer, the
    # one who claimed it already (nor, overlapping, the other); the qualified one both.
    assert offers() == {(anna.pk, shift.pk), (anna.pk, needs.pk), (not_qualified.pk, shift.pk)}


@pytest.mark.django_db
def test_online_shifts_go_to_online_volunteers_and_on_site_ones_to_those_nearby(
    organisation: Organisation,
) -> None:
    online = opted_in(organisation, mode="online", postcode="9000")
    near = opted_in(organisation, mode="on_site", postcode="9050")
    both_near = opted_in(organisation, mode="both", postcode="B-9000 Gent")
    far = opted_in(organisation, mode="on_site", postcode="8000")
    unknown = opted_in(organisation, mode="on_site", postcode="")
    with time_machine.travel(local(4, 10), tick=False):
        now = timezone.now()
        call = online_shift(organisation, now + dt.timedelta(hours=1))
        visit = onsite_shift(
            organisation, now + dt.timedelta(hours=2), address="Kerkstraat 1234, 9000 Gent"
        )
        help_now_offer(now=now)
    assert offers() == {
        (online.pk, call.pk),
        (both_near.pk, call.pk),
        (near.pk, visit.pk),
        (both_near.pk, visit.pk),
    }
    assert far.pk and unknown.pk


def test_nearby_is_the_same_first_two_digits_of_the_belgian_postcode() -> None:
    assert postcode_area("Kerkstraat 1234, 9000 Gent") == "90"
    assert postcode_area("B-1050 Elsene") == "10"
    assert postcode_area("Gent") == ""
    assert is_nearby("9040", "Dorp 3, 9000 Gent")
    assert not is_nearby("9100", "Dorp 3, 9000 Gent")
    assert not is_nearby("", "Dorp 3, 9000 Gent")
    assert not is_nearby("9000", "Dorp 3, Gent")


# --- once, at most three a day -----------------------------------------------------------


@pytest.mark.django_db
def test_a_shift_is_offered_to_a_volunteer_once(organisation: Organisation) -> None:
    anna = opted_in(organisation)
    with time_machine.travel(local(4, 10), tick=False) as traveller:
        shift = online_shift(organisation, timezone.now() + dt.timedelta(hours=2))
        assert help_now_offer(now=timezone.now()) == 1
        traveller.shift(dt.timedelta(minutes=30))
        assert help_now_offer(now=timezone.now()) == 0
    assert offers() == {(anna.pk, shift.pk)}


@pytest.mark.django_db
def test_the_fourth_offer_of_a_day_is_not_made_and_the_next_day_counts_anew(
    organisation: Organisation,
) -> None:
    anna = opted_in(organisation)
    with time_machine.travel(local(4, 20), tick=False) as traveller:
        now = timezone.now()
        soonest = [
            online_shift(organisation, now + dt.timedelta(minutes=30 * n)) for n in (1, 2, 3)
        ]
        fourth = online_shift(organisation, now + dt.timedelta(hours=2, minutes=30))
        assert help_now_offer(now=now) == 3
        assert offers() == {(anna.pk, shift.pk) for shift in soonest}
        # Still the same day: the fourth is not offered, however often the job runs.
        traveller.move_to(local(4, 21, 30))
        assert help_now_offer(now=timezone.now()) == 0
        # After midnight (a night shift, so quiet hours let it through) the count starts again.
        traveller.move_to(local(4, 23, 59))
        night = online_shift(organisation, local(5, 0, 30))
        assert help_now_offer(now=timezone.now()) == 0
        traveller.move_to(local(5, 0, 1))
        assert help_now_offer(now=timezone.now()) == 1
    assert (anna.pk, night.pk) in offers()
    assert (anna.pk, fourth.pk) not in offers()


# --- quiet hours -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_in_quiet_hours_only_a_shift_starting_before_they_end_is_offered(
    organisation: Organisation,
) -> None:
    anna = opted_in(organisation)
    with time_machine.travel(local(4, 6), tick=False) as traveller:
        before_eight = online_shift(organisation, local(4, 7, 30))
        after_eight = online_shift(organisation, local(4, 8, 30))
        help_now_offer(now=timezone.now())
        assert offers() == {(anna.pk, before_eight.pk)}
        traveller.move_to(local(4, 8))
        help_now_offer(now=timezone.now())
    assert offers() == {(anna.pk, before_eight.pk), (anna.pk, after_eight.pk)}


# --- sending ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_offer_goes_out_with_a_claim_button_and_the_town_not_the_street(
    organisation: Organisation, fake: FakeTelegram, worker: Worker
) -> None:
    opted_in(organisation, chat_id=601)
    with time_machine.travel(local(4, 10), tick=True):
        shift = onsite_shift(
            organisation, local(4, 12), title="Soep", capacity=3, address="Kerkstraat 1, 9000 Gent"
        )
        help_now_offer(now=timezone.now())
        worker.run_until_idle()
    [offer] = fake.sent_to(601)
    assert offer.text.startswith("Help needed soon: Soep (WZC De Linde), ")
    assert ", Gent." in offer.text and "Kerkstraat" not in offer.text
    assert "3 seats are still free. Can you come?" in offer.text
    assert offer.buttons == [("Claim", f"claim:{shift.pk}")]
    row = Notification.objects.get(kind=Kind.HELP_NOW)
    assert (row.status, row.channel) == (Status.SENT, "telegram")


@pytest.mark.django_db
def test_an_offer_is_dropped_if_the_shift_filled_was_claimed_or_alerts_were_turned_off(
    organisation: Organisation, fake: FakeTelegram, worker: Worker
) -> None:
    anna = opted_in(organisation, chat_id=602)
    bob = opted_in(organisation, chat_id=603)
    cora = opted_in(organisation, alerts=False)
    with time_machine.travel(local(4, 10), tick=True):
        filled = online_shift(organisation, local(4, 11), capacity=1)
        other = online_shift(organisation, local(4, 12), capacity=5)
        help_now_offer(now=timezone.now())
        claim_create(volunteer=cora, shift_id=filled.pk)
        claim_create(volunteer=bob, shift_id=other.pk)
        VolunteerProfile.objects.filter(user=anna).update(help_now_alerts=False)
        worker.run_until_idle()
    reasons = dict(
        Notification.objects.filter(kind=Kind.HELP_NOW, status=Status.DROPPED).values_list(
            "key", "last_error"
        )
    )
    assert reasons == {
        f"help_now:{filled.pk}:{anna.pk}": "the shift is no longer short",
        f"help_now:{filled.pk}:{bob.pk}": "the shift is no longer short",
        f"help_now:{other.pk}:{anna.pk}": "help-now alerts are off",
        f"help_now:{other.pk}:{bob.pk}": "already claimed",
    }
    assert fake.sent_to(602) == fake.sent_to(603) == []


@pytest.mark.django_db
def test_an_offer_reaching_the_worker_in_quiet_hours_waits_for_eight_unless_the_shift_is_earlier(
    organisation: Organisation, fake: FakeTelegram, worker: Worker
) -> None:
    opted_in(organisation, chat_id=605)
    with time_machine.travel(local(4, 21, 50), tick=True) as traveller:
        night = online_shift(organisation, local(4, 23, 30))
        help_now_offer(now=timezone.now())
        # Made in the evening, due in quiet hours (a shift that starts after them waits).
        morning = online_shift(organisation, local(5, 8, 30))
        Notification.objects.create(
            key=f"help_now:{morning.pk}:test",
            kind=Kind.HELP_NOW,
            organisation=organisation,
            user=User.objects.get(profile__telegram_chat_id=605),
            shift=morning,
            shift_starts_at=morning.starts_at,
            scheduled_for=local(5, 6),
            due_at=local(5, 6),
        )
        traveller.move_to(local(4, 22, 30))
        worker.run_until_idle()
        assert len(fake.sent_to(605)) == 1  # the night shift's, in quiet hours
        traveller.move_to(local(5, 6))
        worker.run_until_idle()
        assert len(fake.sent_to(605)) == 1
        assert Notification.objects.get(shift=morning).due_at == local(5, 8)
        traveller.move_to(local(5, 8))
        worker.run_until_idle()
    first, second = fake.sent_to(605)
    assert first.buttons == [("Claim", f"claim:{night.pk}")]
    assert second.buttons == [("Claim", f"claim:{morning.pk}")]


# --- two workers at once ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_scanning_at_once_make_each_offer_once_and_keep_the_daily_cap(
    organisation: Organisation,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent scans need PostgreSQL")
    volunteers = [opted_in(organisation) for _ in range(5)]
    with time_machine.travel(local(4, 10), tick=True):
        now = timezone.now()
        shifts = [
            online_shift(organisation, now + dt.timedelta(minutes=20 * n)) for n in (1, 2, 3, 4)
        ]
        start = threading.Barrier(2)
        written: list[int] = []
        errors: list[BaseException] = []

        def scan() -> None:
            try:
                start.wait()
                written.append(help_now_offer(now=now))
            except BaseException as error:  # reported below
                errors.append(error)
            finally:
                close_old_connections()
                connection.close()

        threads = [threading.Thread(target=scan) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert errors == []
    rows = list(Notification.objects.filter(kind=Kind.HELP_NOW).values_list("user_id", "shift_id"))
    # Each volunteer: the three soonest shifts, once each, however the two scans interleaved.
    assert sorted(rows) == sorted((v.pk, s.pk) for v in volunteers for s in shifts[:3])
    # The second scan waited for the first one's profile locks, then found it all done.
    assert sorted(written) == [0, 15]


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_cannot_both_give_a_volunteer_their_third_offer(
    organisation: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each scan sees another new shift (one just started for the later scan, the other not yet
    in the window of the earlier one) and each would take the volunteer to 3: the profile
    locks make the second count the first one's offer. Both scans wait for each other (up to a
    second) right before they count, so without the locks they count together and this fails
    every time; with them the second cannot get there before the first has committed."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent scans need PostgreSQL")
    volunteers = [opted_in(organisation) for _ in range(3)]
    t0 = local(4, 15)
    earlier = [online_shift(organisation, local(4, 9 + n)) for n in (0, 1)]
    for volunteer in volunteers:
        for shift in earlier:
            Notification.objects.create(
                key=f"help_now:{shift.pk}:{volunteer.pk}",
                kind=Kind.HELP_NOW,
                organisation=organisation,
                user=volunteer,
                shift=shift,
                shift_starts_at=shift.starts_at,
                scheduled_for=local(4, 8),
                due_at=local(4, 8),
                created_at=local(4, 8),
                status=Status.SENT,
            )
    first = online_shift(organisation, t0 + dt.timedelta(minutes=1))
    second = online_shift(organisation, t0 + dt.timedelta(hours=3, minutes=1))
    real_day_start = help_now.day_start
    counting = threading.Barrier(2, timeout=1.0)

    def day_start_once_both_count(now: dt.datetime) -> dt.datetime:
        with contextlib.suppress(threading.BrokenBarrierError):
            counting.wait()
        return real_day_start(now)

    monkeypatch.setattr(help_now, "day_start", day_start_once_both_count)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def scan(now: dt.datetime) -> None:
        try:
            start.wait()
            help_now_offer(now=now)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    with time_machine.travel(t0, tick=True):
        threads = [
            threading.Thread(target=scan, args=(moment,))
            for moment in (t0, t0 + dt.timedelta(minutes=2))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert errors == []
    per_volunteer = {
        volunteer.pk: Notification.objects.filter(kind=Kind.HELP_NOW, user=volunteer).count()
        for volunteer in volunteers
    }
    assert per_volunteer == {volunteer.pk: 3 for volunteer in volunteers}
    offered = {shift for _, shift in offers()} - {s.pk for s in earlier}
    assert len(offered) == 1 and offered <= {first.pk, second.pk}

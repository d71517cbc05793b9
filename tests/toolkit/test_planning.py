"""Planning: recurring series (across a daylight-saving change), edits of a whole series or
of one occurrence, claims that open at a set moment, and copying a week."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from backend.accounts.models import User
from backend.core.errors import ClaimsNotOpen, PermissionDenied, ValidationFailed
from backend.organisations.models import Organisation
from backend.shifts.models import Claim, ClaimStatus, Shift, ShiftStatus
from backend.shifts.services import (
    claim_create,
    series_cancel,
    series_create,
    series_update,
    shift_update,
    shifts_copy_week,
    week_copy,
)
from tests.backend.conftest import shared_database  # noqa: F401 (fixture)
from tests.conftest import client_for
from tests.factories import ShiftFactory

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
# Summer time starts in Brussels on Sunday 28 March 2027.
WINTER = dt.datetime(2027, 1, 4, 9, tzinfo=BRUSSELS)


@pytest.fixture(autouse=True)
def in_january_2027():  # type: ignore[no-untyped-def]
    with time_machine.travel(WINTER, tick=False):
        yield


def _tuesdays_and_thursdays(coordinator: User, organisation: Organisation, **extra: object):
    values: dict[str, object] = {
        "actor": coordinator,
        "organisation": organisation,
        "title": "Wandeling",
        "capacity": 3,
        "address": "Kerkstraat 1",
        "frequency": "weekly",
        "weekdays": [1, 3],
        "starts_on": dt.date(2027, 3, 16),
        "until": dt.date(2027, 4, 8),
        "start_time": dt.time(14),
        "end_time": dt.time(16),
        "publish": True,
    }
    values.update(extra)
    return series_create(**values)  # type: ignore[arg-type]


def _local(shift: Shift) -> tuple[dt.date, dt.time, dt.time]:
    start, end = shift.starts_at.astimezone(BRUSSELS), shift.ends_at.astimezone(BRUSSELS)
    return start.date(), start.time(), end.time()


def test_a_weekly_series_stays_at_14_00_local_time_across_the_daylight_saving_change(
    coordinator: User, organisation: Organisation
) -> None:
    series = _tuesdays_and_thursdays(coordinator, organisation)
    shifts = list(Shift.objects.filter(series=series).order_by("starts_at"))

    assert [s.series_date for s in shifts] == [
        dt.date(2027, 3, 16),
        dt.date(2027, 3, 18),
        dt.date(2027, 3, 23),
        dt.date(2027, 3, 25),
        dt.date(2027, 3, 30),
        dt.date(2027, 4, 1),
        dt.date(2027, 4, 6),
        dt.date(2027, 4, 8),
    ]
    assert {_local(s)[1:] for s in shifts} == {(dt.time(14), dt.time(16))}
    # In UTC the shift moved an hour: 13:00 in winter, 12:00 in summer.
    assert shifts[3].starts_at.astimezone(dt.UTC).hour == 13
    assert shifts[4].starts_at.astimezone(dt.UTC).hour == 12
    assert {s.status for s in shifts} == {ShiftStatus.PUBLISHED}


def test_a_daily_series_every_other_day(coordinator: User, organisation: Organisation) -> None:
    series = _tuesdays_and_thursdays(
        coordinator,
        organisation,
        frequency="daily",
        weekdays=[],
        interval=2,
        starts_on=dt.date(2027, 3, 26),
        until=dt.date(2027, 4, 1),
        start_time=dt.time(22),
        end_time=dt.time(1),  # past midnight
    )
    shifts = list(Shift.objects.filter(series=series).order_by("starts_at"))
    assert [s.series_date.day for s in shifts] == [26, 28, 30, 1]
    assert {_local(s)[1:] for s in shifts} == {(dt.time(22), dt.time(1))}


def test_a_series_is_refused_when_too_long_or_empty_or_by_a_volunteer(
    coordinator: User, volunteer: User, organisation: Organisation
) -> None:
    with pytest.raises(ValidationFailed) as long:
        _tuesdays_and_thursdays(
            coordinator, organisation, frequency="daily", until=dt.date(2029, 1, 1)
        )
    assert "until" in long.value.fields
    with pytest.raises(ValidationFailed):
        _tuesdays_and_thursdays(coordinator, organisation, until=dt.date(2027, 3, 15))
    with pytest.raises(PermissionDenied):
        _tuesdays_and_thursdays(volunteer, organisation)
    assert not Shift.objects.exists()


def test_editing_the_whole_series_moves_every_future_occurrence_but_one_edited_alone(
    coordinator: User, volunteer: User, organisation: Organisation
) -> None:
    series = _tuesdays_and_thursdays(coordinator, organisation)
    first, second, *rest = Shift.objects.filter(series=series).order_by("starts_at")
    claim_create(volunteer=volunteer, shift_id=first.pk)
    shift_update(actor=coordinator, shift_id=second.pk, title="Wandeling met picknick")

    series_update(
        actor=coordinator,
        series_id=series.pk,
        start_time=dt.time(15),
        end_time=dt.time(17, 30),
        capacity=4,
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert _local(first)[1:] == (dt.time(15), dt.time(17, 30))
    assert first.capacity == 4
    assert Claim.objects.get(shift=first).status == ClaimStatus.CONFIRMED  # claims kept
    assert (second.title, _local(second)[1]) == ("Wandeling met picknick", dt.time(14))
    for shift in rest:
        shift.refresh_from_db()
        assert _local(shift)[1:] == (dt.time(15), dt.time(17, 30))


def test_changing_the_rule_cancels_dropped_dates_and_adds_new_ones(
    coordinator: User, organisation: Organisation
) -> None:
    series = _tuesdays_and_thursdays(coordinator, organisation)
    series_update(actor=coordinator, series_id=series.pk, weekdays=[3, 4])  # Thu and Fri

    live = Shift.objects.filter(series=series).exclude(status=ShiftStatus.CANCELLED)
    assert sorted(s.series_date.weekday() for s in live) == [3] * 4 + [4] * 3
    assert Shift.objects.filter(series=series, status=ShiftStatus.CANCELLED).count() == 4
    assert {s.status for s in live} == {ShiftStatus.PUBLISHED}


def test_cancelling_a_series_cancels_its_future_occurrences(
    coordinator: User, volunteer: User, organisation: Organisation
) -> None:
    series = _tuesdays_and_thursdays(coordinator, organisation)
    first = Shift.objects.filter(series=series).order_by("starts_at").first()
    claim_create(volunteer=volunteer, shift_id=first.pk)
    series_cancel(actor=coordinator, series_id=series.pk)
    assert set(Shift.objects.filter(series=series).values_list("status", flat=True)) == {
        "cancelled"
    }
    assert Claim.objects.get(shift=first).status == ClaimStatus.CANCELLED


# --- claims_open_at --------------------------------------------------------------------------


def test_claims_are_refused_before_the_shift_opens_and_accepted_after(
    volunteer: User, organisation: Organisation
) -> None:
    opens = dt.datetime(2027, 1, 10, 9, tzinfo=BRUSSELS)
    shift = ShiftFactory(
        organisation=organisation,
        starts_at=dt.datetime(2027, 2, 1, 14, tzinfo=BRUSSELS),
        ends_at=dt.datetime(2027, 2, 1, 16, tzinfo=BRUSSELS),
        claims_open_at=opens,
    )
    with pytest.raises(ClaimsNotOpen) as refused:
        claim_create(volunteer=volunteer, shift_id=shift.pk)
    assert "2027-01-10 09:00" in str(refused.value.detail)
    response = client_for(volunteer).post(f"/api/v1/shifts/{shift.pk}/claim/")
    assert (response.status_code, response.json()["code"]) == (409, "claims_not_open")

    with time_machine.travel(opens, tick=False):
        assert claim_create(volunteer=volunteer, shift_id=shift.pk).claim.status == "confirmed"


def test_a_series_opens_for_claims_at_one_moment(
    coordinator: User, volunteer: User, organisation: Organisation
) -> None:
    opens = dt.datetime(2027, 3, 1, 9, tzinfo=BRUSSELS)
    series = _tuesdays_and_thursdays(coordinator, organisation, claims_open_at=opens)
    assert set(Shift.objects.filter(series=series).values_list("claims_open_at", flat=True)) == {
        opens
    }


def test_claims_must_open_before_the_shift_starts(
    coordinator: User, organisation: Organisation
) -> None:
    shift = ShiftFactory(
        organisation=organisation,
        starts_at=dt.datetime(2027, 2, 1, 14, tzinfo=BRUSSELS),
        ends_at=dt.datetime(2027, 2, 1, 16, tzinfo=BRUSSELS),
    )
    with pytest.raises(ValidationFailed) as refused:
        shift_update(
            actor=coordinator,
            shift_id=shift.pk,
            claims_open_at=dt.datetime(2027, 2, 2, tzinfo=BRUSSELS),
        )
    assert "claims_open_at" in refused.value.fields


# --- copying a week --------------------------------------------------------------------------


def test_copying_a_week_keeps_local_times_across_the_daylight_saving_change(
    coordinator: User, organisation: Organisation, other_organisation: Organisation
) -> None:
    def at(day: int, hour: int) -> dt.datetime:
        return dt.datetime(2027, 3, day, hour, tzinfo=BRUSSELS)

    monday = ShiftFactory(organisation=organisation, starts_at=at(22, 14), ends_at=at(22, 16))
    sunday = ShiftFactory(
        organisation=organisation,
        starts_at=at(28, 10),
        ends_at=at(28, 12),
        claims_open_at=at(20, 9),
    )
    ShiftFactory(
        organisation=organisation,
        starts_at=at(24, 9),
        ends_at=at(24, 10),
        status=ShiftStatus.CANCELLED,
    )
    ShiftFactory(organisation=organisation, starts_at=at(29, 9), ends_at=at(29, 10))  # next week
    ShiftFactory(organisation=other_organisation, starts_at=at(23, 9), ends_at=at(23, 10))

    copies = shifts_copy_week(
        actor=coordinator,
        organisation=organisation,
        from_week=dt.date(2027, 3, 24),  # any day of that week
        to_week=dt.date(2027, 3, 29),
    )

    assert [_local(c) for c in copies] == [
        (dt.date(2027, 3, 29), dt.time(14), dt.time(16)),
        (dt.date(2027, 4, 4), dt.time(10), dt.time(12)),
    ]
    assert copies[1].claims_open_at == at(27, 9)
    assert (copies[0].title, copies[0].status) == (monday.title, ShiftStatus.DRAFT)
    assert copies[1].title == sunday.title


def test_copying_a_week_twice_creates_nothing_the_second_time(
    coordinator: User, organisation: Organisation
) -> None:
    def at(day: int, hour: int) -> dt.datetime:
        return dt.datetime(2027, 3, day, hour, tzinfo=BRUSSELS)

    # Two identical shifts (two rounds at once) need two copies; one more in the target week
    # with another title, and a cancelled copy, do not count as copies.
    for _ in range(2):
        ShiftFactory(
            organisation=organisation, title="Ronde", starts_at=at(22, 9), ends_at=at(22, 11)
        )
    ShiftFactory(organisation=organisation, title="Bingo", starts_at=at(28, 14), ends_at=at(28, 16))
    ShiftFactory(organisation=organisation, title="Markt", starts_at=at(29, 9), ends_at=at(29, 11))
    ShiftFactory(
        organisation=organisation,
        title="Bingo",
        starts_at=dt.datetime(2027, 4, 4, 14, tzinfo=BRUSSELS),
        ends_at=dt.datetime(2027, 4, 4, 16, tzinfo=BRUSSELS),
        status=ShiftStatus.CANCELLED,
    )
    weeks = {"from_week": dt.date(2027, 3, 22), "to_week": dt.date(2027, 3, 29)}

    first = week_copy(actor=coordinator, organisation=organisation, **weeks)
    second = week_copy(actor=coordinator, organisation=organisation, **weeks)

    assert [(c.title, _local(c)[0]) for c in first.created] == [
        ("Ronde", dt.date(2027, 3, 29)),
        ("Ronde", dt.date(2027, 3, 29)),
        ("Bingo", dt.date(2027, 4, 4)),  # the cancelled one is not a copy
    ]
    assert first.already_there == 0
    assert (second.created, second.already_there) == ([], 3)
    assert shifts_copy_week(actor=coordinator, organisation=organisation, **weeks) == []
    assert Shift.objects.exclude(status=ShiftStatus.CANCELLED).count() == 4 + 3


def test_copying_to_this_week_leaves_out_what_has_passed_and_a_past_week_is_refused(
    coordinator: User, organisation: Organisation
) -> None:
    def at(day: int, hour: int) -> dt.datetime:
        return dt.datetime(2027, 3, day, hour, tzinfo=BRUSSELS)

    ShiftFactory(
        organisation=organisation, title="Maandag", starts_at=at(29, 9), ends_at=at(29, 11)
    )
    ShiftFactory(
        organisation=organisation,
        title="Vrijdag",
        starts_at=dt.datetime(2027, 4, 2, 9, tzinfo=BRUSSELS),
        ends_at=dt.datetime(2027, 4, 2, 11, tzinfo=BRUSSELS),
    )
    # Wednesday 24 March 2027, noon: this week's Monday has passed, its Friday has not.
    with time_machine.travel(at(24, 12)):
        copied = week_copy(
            actor=coordinator,
            organisation=organisation,
            from_week=dt.date(2027, 3, 29),
            to_week=dt.date(2027, 3, 22),
        )
        with pytest.raises(ValidationFailed) as refused:
            week_copy(
                actor=coordinator,
                organisation=organisation,
                from_week=dt.date(2027, 3, 29),
                to_week=dt.date(2027, 3, 15),
            )

    assert [(c.title, _local(c)[0]) for c in copied.created] == [("Vrijdag", dt.date(2027, 3, 26))]
    assert copied.passed == 1
    assert list(refused.value.fields) == ["to_week"]


@pytest.mark.usefixtures("shared_database")
def test_two_copies_of_a_week_at_once_create_the_copies_once(
    coordinator: User, organisation: Organisation
) -> None:
    for day in (22, 23, 24):
        ShiftFactory(
            organisation=organisation,
            starts_at=dt.datetime(2027, 3, day, 9, tzinfo=BRUSSELS),
            ends_at=dt.datetime(2027, 3, day, 11, tzinfo=BRUSSELS),
        )
    barrier = threading.Barrier(2)
    results: list[object] = []

    def copy() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(
                week_copy(
                    actor=coordinator,
                    organisation=organisation,
                    from_week=dt.date(2027, 3, 22),
                    to_week=dt.date(2027, 3, 29),
                )
            )
        except BaseException as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=copy) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(len(r.created) for r in results) == [0, 3], results  # type: ignore[attr-defined]
    assert Shift.objects.count() == 6


def test_copying_a_week_is_for_coordinators_of_that_organisation(
    volunteer: User, outsider: User, coordinator: User, organisation: Organisation
) -> None:
    ShiftFactory(
        organisation=organisation,
        starts_at=dt.datetime(2027, 3, 22, 14, tzinfo=BRUSSELS),
        ends_at=dt.datetime(2027, 3, 22, 16, tzinfo=BRUSSELS),
    )
    body = {"organisation": organisation.pk, "from_week": "2027-03-22", "to_week": "2027-04-05"}
    url = "/api/v1/shifts/copy-week/"
    assert client_for(volunteer).post(url, body, format="json").status_code == 403
    assert client_for(outsider).post(url, body, format="json").status_code == 403
    response = client_for(coordinator).post("/api/v1/shifts/copy-week/", body, format="json")
    assert response.status_code == 201
    assert len(response.json()["created"]) == 1


# --- API -------------------------------------------------------------------------------------


def test_series_through_the_api(coordinator: User, volunteer: User, organisation) -> None:
    body = {
        "organisation": organisation.pk,
        "title": "Voorlezen",
        "capacity": 2,
        "address": "Bib",
        "frequency": "weekly",
        "weekdays": [2],
        "starts_on": "2027-03-15",
        "until": "2027-04-05",
        "start_time": "14:00",
        "end_time": "15:30",
        "publish": True,
        "claims_open_at": "2027-03-01T09:00:00+01:00",
    }
    assert client_for(volunteer).post("/api/v1/series/", body, format="json").status_code == 403
    created = client_for(coordinator).post("/api/v1/series/", body, format="json")
    assert created.status_code == 201, created.json()
    series = created.json()
    assert len(series["occurrences"]) == 3
    assert series["end_time"] == "15:30:00"

    changed = client_for(coordinator).patch(
        f"/api/v1/series/{series['id']}/", {"start_time": "13:00"}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    shift = client_for(coordinator).get(f"/api/v1/shifts/{series['occurrences'][0]}/").json()
    assert shift["starts_at"].startswith("2027-03-17T13:00:00+01:00")
    assert shift["claims_open_at"] == "2027-03-01T09:00:00+01:00"
    assert shift["ends_at"].startswith("2027-03-17T15:30:00+01:00")  # the end stays

    listed = client_for(coordinator).get("/api/v1/series/", {"organisation": organisation.pk})
    assert [s["id"] for s in listed.json()] == [series["id"]]
    assert client_for(volunteer).get("/api/v1/series/").json() == []
    assert client_for(volunteer).get(f"/api/v1/series/{series['id']}/").status_code == 404

    assert client_for(coordinator).delete(f"/api/v1/series/{series['id']}/").status_code == 204
    assert Shift.objects.filter(status=ShiftStatus.PUBLISHED).count() == 0

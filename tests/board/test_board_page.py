"""The board page (server side) and the snapshot selector."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from backend.board.selectors import WAITLIST_SHOWN, board_shifts, board_snapshot, board_window
from backend.shifts.models import Claim
from backend.shifts.services import (
    claim_cancel,
    claim_check_in,
    claim_check_out,
    claim_confirm_attendance,
    claim_create,
    claim_mark_no_show,
)
from tests.factories import ShiftFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_board_asks_anonymous_visitors_to_log_in(organisation):
    response = Client().get(f"/board/{organisation.slug}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/board/")


def test_coordinator_logs_in_and_lands_on_their_boards(organisation, coordinator):
    client = Client()
    response = client.post(
        "/accounts/login/",
        {"username": coordinator.email, "password": "correct-horse-battery-staple"},
    )
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert f'href="/board/{organisation.slug}/"' in response.content.decode()


def test_volunteer_may_not_open_the_board(organisation, volunteer):
    assert client_for(volunteer).get(f"/board/{organisation.slug}/").status_code == 403


def test_coordinator_of_another_organisation_may_not_open_the_board(organisation, outsider):
    assert client_for(outsider).get(f"/board/{organisation.slug}/").status_code == 403


def test_board_page_is_dutch_by_default_and_points_at_the_websocket(organisation, coordinator):
    response = client_for(coordinator).get(f"/board/{organisation.slug}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="nl">' in html
    assert f"/ws/v1/organisations/{organisation.pk}/board/" in html
    assert 'aria-live="polite"' in html
    assert "Verbinden" in html  # "Connecting…"


@pytest.mark.parametrize(("language", "text"), [("en", "Connecting"), ("fr", "Connexion")])
def test_board_page_speaks_english_and_french(organisation, coordinator, language, text):
    response = client_for(coordinator).get(
        f"/board/{organisation.slug}/", HTTP_ACCEPT_LANGUAGE=language
    )
    assert f'<html lang="{language}">' in response.content.decode()
    assert text in response.content.decode()


def test_snapshot_takes_two_queries_however_many_shifts_and_claims(
    organisation, make_volunteer, django_assert_num_queries
):
    for _ in range(4):
        shift = ShiftFactory(organisation=organisation, capacity=3)
        for _ in range(3):
            claim_create(volunteer=make_volunteer(), shift_id=shift.pk)
    start, end = board_window(organisation=organisation, now=timezone.now())
    with django_assert_num_queries(2):
        snapshot = board_snapshot(organisation=organisation, start=start, end=end)
    assert len(snapshot["shifts"]) == 4
    assert all(len(row["volunteers"]) == 3 for row in snapshot["shifts"])


def test_window_runs_from_local_midnight_for_the_given_days(organisation):
    now = dt.datetime(2026, 3, 10, 23, 30, tzinfo=dt.UTC)  # 00:30 on the 11th in Brussels
    start, end = board_window(organisation=organisation, now=now, days=8)
    assert start.isoformat() == "2026-03-11T00:00:00+01:00"
    assert end.isoformat() == "2026-03-19T00:00:00+01:00"


def test_shift_row_shows_check_in_state(organisation, volunteer):
    shift = ShiftFactory(organisation=organisation)
    claim_create(volunteer=volunteer, shift_id=shift.pk)
    Claim.objects.update(checked_in_at=timezone.now())
    row = board_shifts(shift_ids=[shift.pk]).get(shift.pk)
    assert row is not None
    assert row["volunteers"][0]["checked_in_at"] is not None
    assert row["volunteers"][0]["checked_out_at"] is None


def _day_of_attendance(organisation, make_volunteer, coordinator):  # type: ignore[no-untyped-def]
    """A shift that ran today: one volunteer checked out, one checked in, one no-show, one
    confirmed by the coordinator without checking in. Returns (shift, now) after the shift.

    On a fixed morning, so that the shift and "after" fall on the same local day whatever the
    hour the tests run (late in the evening, "an hour from now plus two" is tomorrow)."""
    morning = dt.datetime(2031, 5, 6, 8, 0, tzinfo=ZoneInfo(organisation.time_zone))
    start = morning + dt.timedelta(hours=1)
    shift = ShiftFactory(
        organisation=organisation, starts_at=start, ends_at=start + dt.timedelta(hours=2)
    )
    out, still_in, absent, attended = (make_volunteer() for _ in range(4))
    with time_machine.travel(morning, tick=False):
        claims = {
            v: claim_create(volunteer=v, shift_id=shift.pk).claim
            for v in (out, still_in, absent, attended)
        }
    with time_machine.travel(start, tick=False):
        claim_check_in(actor=out, claim_id=claims[out].pk)
        claim_check_in(actor=still_in, claim_id=claims[still_in].pk)
    after = start + dt.timedelta(hours=2, minutes=1)
    with time_machine.travel(after, tick=False):
        claim_check_out(actor=out, claim_id=claims[out].pk)
        claim_mark_no_show(actor=coordinator, claim_id=claims[absent].pk)
        claim_confirm_attendance(actor=coordinator, claim_id=claims[attended].pk)
    names = {v: v.profile.display_name for v in (out, still_in, absent, attended)}
    return shift, after, names, (out, still_in, absent, attended)


def test_checked_out_and_no_show_volunteers_stay_on_the_board_with_their_state(
    organisation, make_volunteer, coordinator
):
    shift, after, names, (out, still_in, absent, attended) = _day_of_attendance(
        organisation, make_volunteer, coordinator
    )
    with time_machine.travel(after, tick=False):
        row = board_shifts(shift_ids=[shift.pk]).get(shift.pk)
    assert row is not None
    states = {v["name"]: (v["status"], v["attendance"]) for v in row["volunteers"]}
    assert states == {
        names[out]: ("completed", "checked_out"),
        names[still_in]: ("confirmed", "checked_in"),
        names[absent]: ("no_show", "no_show"),
        names[attended]: ("completed", "attended"),
    }


def test_snapshot_with_attendance_records_still_takes_two_queries(
    organisation, make_volunteer, coordinator, django_assert_num_queries
):
    shift, after, _names, _ = _day_of_attendance(organisation, make_volunteer, coordinator)
    ShiftFactory(organisation=organisation, starts_at=shift.starts_at + dt.timedelta(hours=3))
    with time_machine.travel(after, tick=False):
        start, end = board_window(organisation=organisation, now=after)
        with django_assert_num_queries(2):
            snapshot = board_snapshot(organisation=organisation, start=start, end=end)
    assert [len(row["volunteers"]) for row in snapshot["shifts"]] == [4, 0]


def test_cancelled_claims_do_not_show_on_the_board(organisation, volunteer):
    shift = ShiftFactory(organisation=organisation)
    claim = claim_create(volunteer=volunteer, shift_id=shift.pk).claim
    claim_cancel(actor=volunteer, claim_id=claim.pk)
    row = board_shifts(shift_ids=[shift.pk]).get(shift.pk)
    assert row is not None
    assert row["volunteers"] == []


def test_row_says_when_claims_open_until_they_do(organisation):
    opens = timezone.now().replace(microsecond=0) + dt.timedelta(hours=3)
    shift = ShiftFactory(organisation=organisation, claims_open_at=opens)
    row = board_shifts(shift_ids=[shift.pk]).get(shift.pk)
    assert row is not None
    assert row["claims_open_at"] == opens.isoformat()
    with time_machine.travel(opens + dt.timedelta(minutes=1), tick=False):
        row = board_shifts(shift_ids=[shift.pk]).get(shift.pk)
    assert row is not None
    assert row["claims_open_at"] is None


def test_board_page_carries_the_texts_for_attendance_and_opening(organisation, coordinator):
    response = client_for(coordinator).get(
        f"/board/{organisation.slug}/", HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()
    assert '"opens_at": "Opens at %(time)s"' in html
    assert '"no_show": "no-show"' in html
    assert '"attended": "attended"' in html


def test_a_long_waitlist_is_named_in_part_and_counted_in_full(organisation, make_volunteer):
    shift = ShiftFactory(organisation=organisation, capacity=2)
    people = [make_volunteer() for _ in range(2 + WAITLIST_SHOWN + 5)]
    for person in people:
        claim_create(volunteer=person, shift_id=shift.pk)

    row = board_shifts(shift_ids=[shift.pk])[shift.pk]

    waiting = [v for v in row["volunteers"] if v["status"] == "waitlisted"]
    assert row["waitlist_count"] == WAITLIST_SHOWN + 5
    assert len(waiting) == WAITLIST_SHOWN
    assert [v["status"] for v in row["volunteers"][:2]] == ["confirmed", "confirmed"]
    # The first in line, in order.
    first = Claim.objects.filter(shift=shift, status="waitlisted").order_by("waitlist_ticket")
    assert [v["claim_id"] for v in waiting] == [c.pk for c in first[:WAITLIST_SHOWN]]

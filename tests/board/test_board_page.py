"""The board page (server side) and the snapshot selector."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from backend.board.selectors import board_shift, board_snapshot, board_window
from backend.shifts.models import Claim
from backend.shifts.services import claim_create
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
    row = board_shift(shift_id=shift.pk)
    assert row is not None
    assert row["volunteers"][0]["checked_in_at"] is not None
    assert row["volunteers"][0]["checked_out_at"] is None

"""Support staff create and change a series in the Django admin; the occurrences follow."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from backend.shifts.models import Shift, ShiftSeries
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")


def series_form(organisation) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "organisation": organisation.pk,
        "title": "Koffiebabbel",
        "description": "",
        "mode": "on_site",
        "address": "Dorpsplein 3",
        "meeting_link": "",
        "capacity": 4,
        "waitlist_enabled": "on",
        "cancellation_deadline_hours": 24,
        "visibility": "members",
        "frequency": "weekly",
        "interval": 1,
        "weekdays": "[0]",
        "starts_on": "2027-03-22",
        "until": "2027-04-05",
        "start_time": "10:00",
        "duration_minutes": 90,
        "shifts-TOTAL_FORMS": 0,
        "shifts-INITIAL_FORMS": 0,
    }


def test_staff_create_a_series_in_the_admin_and_change_its_time(client, organisation) -> None:
    form = series_form(organisation)
    with time_machine.travel(dt.datetime(2027, 1, 4, tzinfo=BRUSSELS), tick=False):
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        added = client.post(reverse("admin:shifts_shiftseries_add"), form)
        assert added.status_code == 302, added.content.decode()[:3000]
        series = ShiftSeries.objects.get()
        change = reverse("admin:shifts_shiftseries_change", args=[series.pk])
        assert client.get(change).status_code == 200
        changed = client.post(change, form | {"start_time": "11:00"})
        assert changed.status_code == 302

    starts = [
        s.starts_at.astimezone(BRUSSELS)
        for s in Shift.objects.filter(series=series).order_by("starts_at")
    ]
    assert [(s.day, s.hour, s.minute) for s in starts] == [(22, 11, 0), (29, 11, 0), (5, 11, 0)]


def test_a_series_the_services_refuse_shows_form_errors_not_a_server_error(
    client, organisation
) -> None:
    too_long = series_form(organisation) | {"frequency": "daily", "until": "2028-06-01"}
    with time_machine.travel(dt.datetime(2027, 1, 4, tzinfo=BRUSSELS), tick=False):
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        response = client.post(reverse("admin:shifts_shiftseries_add"), too_long)
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["until"]
    assert not ShiftSeries.objects.exists()
    assert not Shift.objects.exists()


def test_a_refused_change_leaves_the_series_as_it_was(client, organisation) -> None:
    form = series_form(organisation)
    with time_machine.travel(dt.datetime(2027, 1, 4, tzinfo=BRUSSELS), tick=False):
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        client.post(reverse("admin:shifts_shiftseries_add"), form)
        series = ShiftSeries.objects.get()
        change = reverse("admin:shifts_shiftseries_change", args=[series.pk])
        # The form takes any positive interval; the service allows 1 to 52.
        response = client.post(change, form | {"interval": 60})
    assert response.status_code == 200
    assert "interval" in response.context["adminform"].form.errors
    series.refresh_from_db()
    assert series.interval == 1
    assert Shift.objects.filter(series=series).count() == 3

"""Volunteering on a benefit: the 12 working days in which the RVA may object to a C45B, the
advice for each benefit, and what coordinators see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from backend.accounts.benefits import (
    _easter,
    benefit_advice,
    benefit_set,
    objection_ends_on,
    objection_running,
)
from backend.accounts.models import User
from backend.core.errors import ValidationFailed
from backend.organisations.models import Organisation
from backend.organisations.selectors import c45b_objections_running
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_easter_sundays() -> None:
    assert [_easter(y) for y in (2025, 2026, 2027)] == [
        dt.date(2025, 4, 20),
        dt.date(2026, 4, 5),
        dt.date(2027, 3, 28),
    ]


def test_twelve_working_days_skip_sundays_and_public_holidays() -> None:
    # Friday 18 December 2026: Christmas and New Year's Day are not counted, nor Sundays.
    assert objection_ends_on(dt.date(2026, 12, 18)) == dt.date(2027, 1, 4)
    # A plain fortnight: Monday 2 February 2026 -> Monday 16 February (12 days, Mon-Sat).
    assert objection_ends_on(dt.date(2026, 2, 2)) == dt.date(2026, 2, 16)
    # Easter Monday 6 April 2026 is a holiday.
    assert objection_ends_on(dt.date(2026, 4, 2)) == dt.date(2026, 4, 17)
    assert objection_running(dt.date(2026, 2, 2), dt.date(2026, 2, 16))
    assert not objection_running(dt.date(2026, 2, 2), dt.date(2026, 2, 17))


def test_advice_for_each_benefit_and_only_the_flag_and_date_kept(volunteer: User) -> None:
    with translation.override("en"):
        assert "C45B" in benefit_advice("unemployment")
        assert "OCMW" in benefit_advice("integration_income")
        assert "medical adviser" in benefit_advice("sickness")
        assert benefit_advice("") == ""
    with translation.override("nl"):
        assert "adviserend arts" in benefit_advice("sickness")
    with translation.override("fr"):
        assert "ONEM" in benefit_advice("unemployment")
    with pytest.raises(ValidationFailed):
        benefit_set(user=volunteer, benefit="sickness", c45b_handed_in_on=dt.date(2026, 1, 5))
    with pytest.raises(ValidationFailed):
        benefit_set(user=volunteer, benefit="lottery")
    profile = benefit_set(
        user=volunteer, benefit="unemployment", c45b_handed_in_on=dt.date(2026, 1, 5)
    )
    assert (profile.benefit, profile.c45b_handed_in_on) == ("unemployment", dt.date(2026, 1, 5))
    profile = benefit_set(user=volunteer, benefit="sickness")
    assert profile.c45b_handed_in_on is None


def test_coordinators_see_whose_objection_period_runs(
    organisation: Organisation, make_volunteer, coordinator: User
) -> None:
    today = dt.date(2026, 2, 10)
    recent, old, other = make_volunteer(), make_volunteer(), make_volunteer()
    benefit_set(user=recent, benefit="unemployment", c45b_handed_in_on=dt.date(2026, 2, 2))
    benefit_set(user=old, benefit="unemployment", c45b_handed_in_on=dt.date(2026, 1, 2))
    benefit_set(user=other, benefit="sickness")
    rows = c45b_objections_running(organisation=organisation, today=today)
    assert [(r.user_id, r.objection_until) for r in rows] == [(recent.pk, dt.date(2026, 2, 16))]


def test_the_api_keeps_the_benefit_and_lists_running_periods(
    organisation: Organisation, volunteer: User, coordinator: User
) -> None:
    app = client_for(volunteer)
    today = timezone.localdate()
    answer = app.patch(
        "/api/v1/me/",
        {"benefit": "unemployment", "c45b_handed_in_on": today.isoformat()},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["benefit"] == "unemployment" and answer.json()["benefit_advice"]
    listed = client_for(coordinator).get(f"/api/v1/organisations/{organisation.pk}/c45b/")
    assert listed.status_code == 200
    assert [r["user"] for r in listed.json()] == [volunteer.pk]
    refused = client_for(volunteer).get(f"/api/v1/organisations/{organisation.pk}/c45b/")
    assert refused.status_code == 403
    changed = app.patch("/api/v1/me/", {"benefit": ""}, format="json").json()
    assert (changed["benefit"], changed["c45b_handed_in_on"], changed["benefit_advice"]) == (
        "",
        None,
        "",
    )

"""Check-in and check-out answer documented codes an app can act on (issue 12)."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.accounts.models import User
from backend.organisations.models import Organisation
from backend.shifts.models import Claim, ClaimStatus
from backend.shifts.services import claim_create
from tests.conftest import client_for
from tests.factories import shift_at

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_checking_out_before_the_start_is_refused_and_keeps_the_check_in(
    volunteer: User, organisation: Organisation
) -> None:
    soon = shift_at(organisation, starts_in=dt.timedelta(minutes=20))
    claim = claim_create(volunteer=volunteer, shift_id=soon.pk).claim
    client = client_for(volunteer)

    checked_in = client.post(f"/api/v1/shifts/{soon.pk}/check-in/", **EN)
    early = client.post(f"/api/v1/shifts/{soon.pk}/check-out/", **EN)

    assert checked_in.status_code == 200
    assert early.status_code == 409
    assert early.json()["code"] == "shift_not_started"
    assert early.json()["detail"] == "You can check out once the shift has started."
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CONFIRMED
    assert claim.checked_in_at is not None and claim.checked_out_at is None


def test_attendance_and_cancelling_without_a_claim_answer_no_claim(
    volunteer: User, organisation: Organisation
) -> None:
    shift = shift_at(organisation, starts_in=dt.timedelta(minutes=20))
    client = client_for(volunteer)

    answers = [
        client.post(f"/api/v1/shifts/{shift.pk}/check-in/", **EN),
        client.post(f"/api/v1/shifts/{shift.pk}/check-out/", **EN),
        client.delete(f"/api/v1/shifts/{shift.pk}/claim/", **EN),
    ]

    assert [(a.status_code, a.json()["code"]) for a in answers] == [(404, "no_claim")] * 3
    assert answers[0].json()["detail"] == "You have no claim on this shift."
    assert not Claim.objects.exists()

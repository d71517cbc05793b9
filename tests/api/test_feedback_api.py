""" "How did it go?" from the app: the same answer the bot's follow-up collects, so app users
appear on the coordinators' follow-up list like Telegram users."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.accounts.models import User
from backend.notifications.models import ClaimFeedback
from backend.notifications.services import follow_ups_of
from backend.organisations.models import Organisation
from backend.shifts.models import Claim, ClaimStatus
from tests.conftest import client_for
from tests.factories import shift_at

pytestmark = pytest.mark.django_db


def claim_on(organisation: Organisation, user: User, *, starts_in: dt.timedelta) -> Claim:
    shift = shift_at(organisation, starts_in=starts_in, title="Wandelen met bewoners")
    return Claim.objects.create(
        shift=shift,
        volunteer=user,
        status=ClaimStatus.COMPLETED if starts_in < dt.timedelta(0) else ClaimStatus.CONFIRMED,
        confirmed_at=shift.starts_at - dt.timedelta(days=2),
    )


def test_a_low_score_reaches_the_coordinators_follow_up_list(
    organisation: Organisation, volunteer: User, coordinator: User
) -> None:
    claim = claim_on(organisation, volunteer, starts_in=-dt.timedelta(days=1))

    answer = client_for(volunteer).post(
        f"/api/v1/me/claims/{claim.pk}/feedback/",
        {"score": 2, "comment": "Niemand wist dat ik kwam"},
        format="json",
    )

    assert answer.status_code == 200
    assert (answer.json()["score"], answer.json()["comment"]) == (2, "Niemand wist dat ik kwam")
    listed = follow_ups_of(actor=coordinator, organisation_id=organisation.pk)
    assert [(f.claim_id, f.score, f.comment) for f in listed] == [
        (claim.pk, 2, "Niemand wist dat ik kwam")
    ]


def test_a_good_score_does_not_and_can_be_changed(
    organisation: Organisation, volunteer: User
) -> None:
    claim = claim_on(organisation, volunteer, starts_in=-dt.timedelta(days=1))
    app = client_for(volunteer)
    url = f"/api/v1/me/claims/{claim.pk}/feedback/"
    assert app.post(url, {"score": 5}, format="json").status_code == 200
    assert not ClaimFeedback.objects.get(claim=claim).needs_follow_up
    assert app.post(url, {"score": 1}, format="json").status_code == 200
    assert ClaimFeedback.objects.get(claim=claim).needs_follow_up


def test_not_before_the_shift_is_over_nor_on_someone_elses_claim(
    organisation: Organisation, volunteer: User, make_volunteer
) -> None:
    upcoming = claim_on(organisation, volunteer, starts_in=dt.timedelta(days=1))
    app = client_for(volunteer)
    early = app.post(f"/api/v1/me/claims/{upcoming.pk}/feedback/", {"score": 4}, format="json")
    assert (early.status_code, early.json()["code"]) == (409, "shift_not_ended")

    theirs = claim_on(organisation, make_volunteer(), starts_in=-dt.timedelta(days=1))
    other = app.post(f"/api/v1/me/claims/{theirs.pk}/feedback/", {"score": 4}, format="json")
    assert (other.status_code, other.json()["code"]) == (404, "not_found")
    nonsense = app.post(f"/api/v1/me/claims/{theirs.pk}/feedback/", {"score": 9}, format="json")
    assert nonsense.status_code == 400 and "score" in nonsense.json()["fields"]
    assert not ClaimFeedback.objects.exists()

"""The erasure service shared by the bot's "delete my data" and ``DELETE /api/v1/me/``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.accounts.models import User, VolunteerProfile
from backend.lifecycle.services import user_erase
from backend.organisations.models import Membership, Organisation, PastMembership
from backend.shifts.models import Claim, ClaimStatus
from backend.shifts.services import claim_create
from tests.factories import ShiftFactory

pytestmark = pytest.mark.django_db


def test_erasure_keeps_history_and_ends_memberships(
    organisation: Organisation, volunteer: User
) -> None:
    past = ShiftFactory(organisation=organisation)
    done = Claim.objects.create(
        shift=past, volunteer=volunteer, status=ClaimStatus.COMPLETED, minutes_volunteered=120
    )
    past_start = timezone.now() - dt.timedelta(days=30)
    type(past).objects.filter(pk=past.pk).update(
        starts_at=past_start, ends_at=past_start + dt.timedelta(hours=2)
    )
    future = claim_create(volunteer=volunteer, shift_id=ShiftFactory(organisation=organisation).pk)
    VolunteerProfile.objects.filter(user=volunteer).update(
        phone="+32470000000", calendar_token="secret-feed", telegram_chat_id=42
    )

    user_erase(user=volunteer)

    volunteer.refresh_from_db()
    profile = VolunteerProfile.objects.get(user=volunteer)
    assert (volunteer.email, volunteer.is_active) == (None, False)
    assert (profile.phone, profile.calendar_token, profile.telegram_chat_id) == ("", None, None)
    done.refresh_from_db()
    assert (done.status, done.minutes_volunteered) == (ClaimStatus.COMPLETED, 120)
    assert Claim.objects.get(pk=future.claim.pk).status == ClaimStatus.CANCELLED
    assert not Membership.objects.filter(user=volunteer).exists()
    ended = PastMembership.objects.get(user=volunteer, organisation=organisation)
    assert ended.ended_at >= ended.joined_at

"""'I'm coming' on a reminder: noted before check-in opens, a check-in once it has."""

import datetime as dt

import pytest
from django.utils import timezone

from backend.notifications.models import ClaimFeedback
from backend.notifications.services import attendance_confirm
from backend.shifts.models import Shift
from backend.shifts.services import claim_create
from tests.factories import ShiftFactory

pytestmark = pytest.mark.django_db


def test_im_coming_the_day_before_is_noted_without_a_check_in(organisation, volunteer):
    shift = ShiftFactory(organisation=organisation)
    claim = claim_create(volunteer=volunteer, shift_id=shift.pk).claim
    attendance_confirm(user=volunteer, claim_id=claim.pk)
    claim.refresh_from_db()
    assert ClaimFeedback.objects.get(claim=claim).attendance_confirmed_at is not None
    assert claim.checked_in_at is None


def test_im_coming_once_check_in_has_opened_checks_the_volunteer_in(organisation, volunteer):
    shift = ShiftFactory(organisation=organisation)
    claim = claim_create(volunteer=volunteer, shift_id=shift.pk).claim
    soon = timezone.now() + dt.timedelta(minutes=15)
    Shift.objects.filter(pk=shift.pk).update(starts_at=soon, ends_at=soon + dt.timedelta(hours=1))
    attendance_confirm(user=volunteer, claim_id=claim.pk)
    claim.refresh_from_db()
    assert claim.checked_in_at is not None

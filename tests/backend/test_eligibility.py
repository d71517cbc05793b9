"""eligibility_error gives the same answer whether it looks the facts up or is handed them
(the bot's shift list hands them in for many shifts at once)."""

import datetime as dt

import pytest

from backend.core.errors import NotQualified
from backend.organisations.models import VolunteerQualification
from backend.shifts.services import eligibility_error, shift_local_date
from tests.factories import QualificationFactory, ShiftFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("expiry_offset_days", "eligible"),
    [(None, True), (0, True), (30, True), (-1, False), ("not held", False)],
)
def test_a_handed_in_qualification_map_agrees_with_the_database(
    organisation, volunteer, expiry_offset_days, eligible
):
    qualification = QualificationFactory(organisation=organisation)
    shift = ShiftFactory(organisation=organisation)
    shift.required_qualifications.add(qualification)
    day = shift_local_date(shift)
    if expiry_offset_days != "not held":
        expires = None if expiry_offset_days is None else day + dt.timedelta(expiry_offset_days)
        VolunteerQualification.objects.create(
            user=volunteer, qualification=qualification, expires_on=expires
        )
    held = dict(
        VolunteerQualification.objects.filter(user=volunteer).values_list(
            "qualification_id", "expires_on"
        )
    )
    looked_up = eligibility_error(user=volunteer, shift=shift, is_member=True)
    handed_in = eligibility_error(
        user=volunteer,
        shift=shift,
        is_member=True,
        required_ids=[qualification.pk],
        overlapping=False,
        held=held,
    )
    assert (looked_up is None) == eligible
    assert (handed_in is None) == eligible
    if not eligible:
        assert isinstance(looked_up, NotQualified) and isinstance(handed_in, NotQualified)

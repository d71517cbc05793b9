import pytest

from backend.shifts.models import ClaimStatus
from backend.shifts.services import claim_create
from tests.factories import ShiftFactory


@pytest.mark.django_db
def test_claiming_a_free_seat_confirms_and_counts_it(volunteer, organisation):
    shift = ShiftFactory(organisation=organisation, capacity=1)
    result = claim_create(volunteer=volunteer, shift_id=shift.pk)
    shift.refresh_from_db()
    assert result.created
    assert result.claim.status == ClaimStatus.CONFIRMED
    assert shift.confirmed_count == 1

"""The claim's compiled read (built once, run with each claim's values) gives exactly the row
the plain ORM query gives, on the database in use (PostgreSQL in CI)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import router
from django.utils import timezone

from backend.organisations.models import Membership
from backend.shifts.models import Shift
from backend.shifts.services import claim_create
from backend.shifts.services.claims import _CLAIM_READ, _claim_read, _read_for_claim
from tests.factories import QualificationFactory, UserFactory, shift_at
from tests.fresh_process import after_setup

pytestmark = pytest.mark.django_db

ANNOTATIONS = (
    "my_claim_id",
    "my_claim_status",
    "is_member",
    "claims_blocked",
    "overlapping",
    "upcoming",
    "required_count",
)


def _row(shift: Shift) -> dict[str, object]:
    values = {f.attname: getattr(shift, f.attname) for f in Shift._meta.concrete_fields}
    values |= {name: getattr(shift, name) for name in ANNOTATIONS}
    values["organisation.time_zone"] = shift.organisation.time_zone
    return values


def test_the_compiled_read_equals_the_orm_query_in_every_situation(organisation, make_volunteer):
    now = timezone.now()
    volunteer, blocked = make_volunteer(), make_volunteer()
    outsider = UserFactory()
    Membership.objects.filter(user=blocked).update(claims_blocked_at=now)
    plain = shift_at(organisation, starts_in=dt.timedelta(days=3))
    needs = shift_at(organisation, starts_in=dt.timedelta(days=3, hours=1))
    needs.required_qualifications.add(QualificationFactory(organisation=organisation))
    held = shift_at(organisation, starts_in=dt.timedelta(days=5))
    claim_create(volunteer=volunteer, shift_id=held.pk)
    claim_create(volunteer=volunteer, shift_id=plain.pk)  # overlaps `needs`

    compared = 0
    for user in (volunteer, blocked, outsider):
        for shift in (plain, needs, held):
            compiled = _CLAIM_READ.first(
                using=router.db_for_read(Shift), volunteer_id=user.pk, shift_id=shift.pk, now=now
            )
            orm = _claim_read(user.pk, shift.pk, now).first()
            assert compiled is not None and orm is not None
            assert _row(compiled) == _row(orm), (user, shift)
            compared += 1
    assert compared == 9
    # And a shift that does not exist is None both ways.
    assert _CLAIM_READ.first(volunteer_id=volunteer.pk, shift_id=10**9, now=now) is None
    assert _claim_read(volunteer.pk, 10**9, now).first() is None
    # The rows really differ between situations (so equality above means something).
    assert _row(_claim_read(volunteer.pk, needs.pk, now).first())["overlapping"] is True
    assert _row(_claim_read(blocked.pk, needs.pk, now).first())["claims_blocked"] is True
    assert _row(_claim_read(outsider.pk, plain.pk, now).first())["is_member"] is False


def test_the_typed_read_carries_what_the_query_found(organisation, make_volunteer):
    volunteer = make_volunteer()
    shift = shift_at(organisation, starts_in=dt.timedelta(days=3))
    needs = shift_at(organisation, starts_in=dt.timedelta(days=3, hours=1))
    needs.required_qualifications.add(QualificationFactory(organisation=organisation))
    claim = claim_create(volunteer=volunteer, shift_id=shift.pk).claim
    read = _read_for_claim(volunteer.pk, shift.pk, timezone.now())
    assert read.shift.pk == shift.pk and read.shift.organisation.time_zone == "Europe/Brussels"
    assert (read.my_claim_id, read.my_claim_status) == (claim.pk, "confirmed")
    assert (read.is_member, read.claims_blocked, read.upcoming) == (True, False, 1)
    other = _read_for_claim(volunteer.pk, needs.pk, timezone.now())
    assert (other.my_claim_id, other.overlapping, other.required_count) == (None, True, 1)


def test_the_claim_read_is_compiled_when_the_app_starts() -> None:
    """In a fresh process, django.setup() alone (no claim, no database connection: the
    database URL points at a closed port) leaves the read compiled."""
    out = after_setup(
        "from django.db import connection; "
        "from backend.shifts.services.claims import _CLAIM_READ; "
        "print(sorted(_CLAIM_READ._compiled), connection.connection is None)"
    )
    assert out == "['default'] True"

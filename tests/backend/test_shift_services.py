"""shift_create, shift_update, shift_publish and shift_cancel: what coordinators can do."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from backend.accounts.models import User
from backend.core.errors import (
    CapacityBelowConfirmed,
    NotFound,
    PermissionDenied,
    ShiftNotEditable,
    ShiftNotOpen,
    ShiftStarted,
    ValidationFailed,
)
from backend.organisations.models import Membership, Organisation, Role
from backend.shifts.models import Claim, ClaimStatus, Shift, ShiftChange, ShiftMode, ShiftStatus
from backend.shifts.selectors import waitlist_position
from backend.shifts.services import (
    claim_create,
    shift_cancel,
    shift_create,
    shift_publish,
    shift_update,
)
from tests.backend.conftest import MakeShift, MakeVolunteer
from tests.factories import QualificationFactory, ShiftFactory, UserFactory

pytestmark = pytest.mark.django_db


def in_days(days: float, hour: int = 10) -> dt.datetime:
    return (timezone.localtime() + dt.timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )


def valid_shift(**overrides: Any) -> dict[str, Any]:
    starts_at = in_days(3)
    values: dict[str, Any] = {
        "title": "Wandelen met bewoners",
        "starts_at": starts_at,
        "ends_at": starts_at + dt.timedelta(hours=2),
        "capacity": 4,
        "mode": ShiftMode.ON_SITE,
        "address": "Kerkstraat 1, 9000 Gent",
    }
    return values | overrides


def counts(shift: Shift) -> tuple[int, int]:
    shift.refresh_from_db()
    return shift.confirmed_count, shift.waitlist_count


# --- create and validation ------------------------------------------------------------------


def test_a_coordinator_creates_a_draft_shift_that_volunteers_cannot_claim_yet(
    coordinator: User, volunteer: User, organisation: Organisation
) -> None:
    shift = shift_create(actor=coordinator, organisation=organisation, **valid_shift())

    assert shift.status == ShiftStatus.DRAFT
    assert shift.created_by == coordinator
    assert (shift.confirmed_count, shift.waitlist_count) == (0, 0)
    # A draft is the coordinators' own: for a volunteer it is not there at all.
    with pytest.raises(NotFound):
        claim_create(volunteer=volunteer, shift_id=shift.pk)


def test_an_admin_creates_and_publishes_in_one_step(
    organisation: Organisation, volunteer: User
) -> None:
    admin = Membership.objects.create(
        user=UserFactory(), organisation=organisation, role=Role.ADMIN
    ).user
    first_aid = QualificationFactory(organisation=organisation)

    shift = shift_create(
        actor=admin,
        organisation=organisation,
        publish=True,
        required_qualification_ids=[first_aid.pk],
        **valid_shift(),
    )

    assert shift.status == ShiftStatus.PUBLISHED
    assert list(shift.required_qualifications.all()) == [first_aid]


def test_an_online_shift_needs_a_meeting_link_and_no_address(
    coordinator: User, organisation: Organisation
) -> None:
    shift = shift_create(
        actor=coordinator,
        organisation=organisation,
        **valid_shift(mode=ShiftMode.ONLINE, address="", meeting_link="https://meet.example/x"),
    )

    assert shift.mode == ShiftMode.ONLINE


def test_a_shift_may_last_exactly_24_hours(coordinator: User, organisation: Organisation) -> None:
    starts_at = in_days(3)
    shift = shift_create(
        actor=coordinator,
        organisation=organisation,
        **valid_shift(starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=24)),
    )

    assert shift.ends_at - shift.starts_at == dt.timedelta(hours=24)


START = in_days(3)

INVALID_SHIFTS = {
    "end_before_start": ({"ends_at": START - dt.timedelta(hours=1)}, "ends_at"),
    "end_equals_start": ({"ends_at": START}, "ends_at"),
    "start_in_the_past": (
        {"starts_at": in_days(-1), "ends_at": in_days(-1) + dt.timedelta(hours=1)},
        "starts_at",
    ),
    "longer_than_24_hours": ({"ends_at": START + dt.timedelta(hours=24, minutes=1)}, "ends_at"),
    "naive_times": (
        {"starts_at": START.replace(tzinfo=None), "ends_at": START.replace(tzinfo=None)},
        "starts_at",
    ),
    "capacity_zero": ({"capacity": 0}, "capacity"),
    "capacity_501": ({"capacity": 501}, "capacity"),
    "on_site_without_address": ({"address": "  "}, "address"),
    "online_without_link": ({"mode": ShiftMode.ONLINE, "meeting_link": ""}, "meeting_link"),
    "unknown_mode": ({"mode": "hybrid"}, "mode"),
    "blank_title": ({"title": " "}, "title"),
}


@pytest.mark.parametrize(("overrides", "field"), INVALID_SHIFTS.values(), ids=INVALID_SHIFTS.keys())
def test_an_invalid_shift_is_refused_with_the_field_that_is_wrong(
    overrides: dict[str, Any], field: str, coordinator: User, organisation: Organisation
) -> None:
    values = valid_shift(starts_at=START, ends_at=START + dt.timedelta(hours=2)) | overrides

    with pytest.raises(ValidationFailed) as refused:
        shift_create(actor=coordinator, organisation=organisation, **values)

    assert field in refused.value.fields
    assert not Shift.objects.exists()


def test_a_qualification_of_another_organisation_cannot_be_required(
    coordinator: User, organisation: Organisation, other_organisation: Organisation
) -> None:
    foreign = QualificationFactory(organisation=other_organisation)

    with pytest.raises(ValidationFailed) as refused:
        shift_create(
            actor=coordinator,
            organisation=organisation,
            required_qualification_ids=[foreign.pk],
            **valid_shift(),
        )

    assert "required_qualifications" in refused.value.fields


# --- who may manage shifts ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["volunteer", "outsider"])
def test_only_coordinators_and_admins_of_the_organisation_may_manage_its_shifts(
    who: str, request: pytest.FixtureRequest, organisation: Organisation, make_shift: MakeShift
) -> None:
    actor: User = request.getfixturevalue(who)
    shift = make_shift(organisation, status=ShiftStatus.DRAFT, title="Onveranderd")

    with pytest.raises(PermissionDenied):
        shift_create(actor=actor, organisation=organisation, **valid_shift())
    with pytest.raises(PermissionDenied):
        shift_update(actor=actor, shift_id=shift.pk, title="Gekaapt")
    with pytest.raises(PermissionDenied):
        shift_publish(actor=actor, shift_id=shift.pk)
    with pytest.raises(PermissionDenied):
        shift_cancel(actor=actor, shift_id=shift.pk)

    shift.refresh_from_db()
    assert (shift.title, shift.status) == ("Onveranderd", ShiftStatus.DRAFT)
    assert Shift.objects.count() == 1


# --- update ---------------------------------------------------------------------------------


def test_capacity_cannot_be_lowered_below_the_confirmed_count(
    coordinator: User,
    make_volunteer: MakeVolunteer,
    organisation: Organisation,
    make_shift: MakeShift,
) -> None:
    shift = make_shift(organisation, capacity=3)
    for _ in range(2):
        claim_create(volunteer=make_volunteer(), shift_id=shift.pk)

    with pytest.raises(CapacityBelowConfirmed):
        shift_update(actor=coordinator, shift_id=shift.pk, capacity=1)
    shift.refresh_from_db()
    assert shift.capacity == 3

    shift_update(actor=coordinator, shift_id=shift.pk, capacity=2)
    shift.refresh_from_db()
    assert shift.capacity == 2


def test_raising_capacity_promotes_the_waitlist_in_order(
    coordinator: User,
    make_volunteer: MakeVolunteer,
    organisation: Organisation,
    make_shift: MakeShift,
) -> None:
    shift = make_shift(organisation, capacity=1)
    claims = [claim_create(volunteer=make_volunteer(), shift_id=shift.pk).claim for _ in range(4)]

    shift_update(actor=coordinator, shift_id=shift.pk, capacity=3)

    statuses = [Claim.objects.get(pk=c.pk).status for c in claims]
    assert statuses == ["confirmed", "confirmed", "confirmed", "waitlisted"]
    assert waitlist_position(claim=Claim.objects.get(pk=claims[3].pk)) == 1
    assert counts(shift) == (3, 1)


def test_moving_a_shift_keeps_its_claims_and_records_the_change(
    coordinator: User, volunteer: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation)
    seat = claim_create(volunteer=volunteer, shift_id=shift.pk).claim
    old_start, old_end = shift.starts_at, shift.ends_at
    new_start = old_start + dt.timedelta(days=1, hours=1)

    shift_update(
        actor=coordinator,
        shift_id=shift.pk,
        starts_at=new_start,
        ends_at=new_start + dt.timedelta(hours=3),
    )

    assert Claim.objects.get(pk=seat.pk).status == ClaimStatus.CONFIRMED
    assert counts(shift) == (1, 0)
    change = ShiftChange.objects.get(shift=shift)
    assert change.changed_by == coordinator
    assert change.time_changed
    assert change.fields == ["ends_at", "starts_at"]
    assert (change.old_starts_at, change.old_ends_at) == (old_start, old_end)
    assert (change.new_starts_at, change.new_ends_at) == (
        new_start,
        new_start + dt.timedelta(hours=3),
    )


def test_an_edit_that_does_not_move_the_shift_is_recorded_without_times(
    coordinator: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation)

    shift_update(actor=coordinator, shift_id=shift.pk, title="Nieuwe titel")

    change = ShiftChange.objects.get(shift=shift)
    assert change.fields == ["title"]
    assert not change.time_changed


def test_an_edit_that_changes_nothing_records_nothing(
    coordinator: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation)

    shift_update(actor=coordinator, shift_id=shift.pk, title=shift.title, capacity=shift.capacity)

    assert not ShiftChange.objects.exists()


def test_a_shift_cannot_be_moved_into_the_past(
    coordinator: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation)
    past = timezone.now() - dt.timedelta(hours=3)

    with pytest.raises(ValidationFailed) as refused:
        shift_update(
            actor=coordinator,
            shift_id=shift.pk,
            starts_at=past,
            ends_at=past + dt.timedelta(hours=1),
        )

    assert "starts_at" in refused.value.fields
    assert not ShiftChange.objects.exists()


def test_counters_and_status_cannot_be_set_through_an_edit(
    coordinator: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation)

    with pytest.raises(ValidationFailed) as refused:
        shift_update(actor=coordinator, shift_id=shift.pk, confirmed_count=5, status="draft")

    assert set(refused.value.fields) == {"confirmed_count", "status"}
    assert counts(shift) == (0, 0)


# --- publish and cancel ---------------------------------------------------------------------


def test_publishing_a_draft_opens_it_for_claims(
    coordinator: User, volunteer: User, organisation: Organisation
) -> None:
    shift = shift_create(actor=coordinator, organisation=organisation, **valid_shift())

    shift_publish(actor=coordinator, shift_id=shift.pk)

    assert claim_create(volunteer=volunteer, shift_id=shift.pk).claim.status == "confirmed"


def test_a_draft_whose_start_has_passed_cannot_be_published(
    coordinator: User, organisation: Organisation
) -> None:
    shift = shift_create(actor=coordinator, organisation=organisation, **valid_shift())

    with (
        time_machine.travel(shift.starts_at + dt.timedelta(minutes=1), tick=False),
        pytest.raises(ShiftStarted),
    ):
        shift_publish(actor=coordinator, shift_id=shift.pk)

    shift.refresh_from_db()
    assert shift.status == ShiftStatus.DRAFT


def test_cancelling_a_shift_ends_every_claim_and_closes_it(
    coordinator: User,
    make_volunteer: MakeVolunteer,
    organisation: Organisation,
    make_shift: MakeShift,
) -> None:
    shift = make_shift(organisation, capacity=2)
    claims = [claim_create(volunteer=make_volunteer(), shift_id=shift.pk).claim for _ in range(3)]

    shift_cancel(actor=coordinator, shift_id=shift.pk)

    shift.refresh_from_db()
    assert shift.status == ShiftStatus.CANCELLED
    assert counts(shift) == (0, 0)
    for ended in Claim.objects.filter(pk__in=[c.pk for c in claims]):
        assert ended.status == ClaimStatus.CANCELLED
        assert ended.cancelled_by_shift
        assert ended.waitlist_ticket is None
    with pytest.raises(ShiftNotOpen):
        claim_create(volunteer=make_volunteer(), shift_id=shift.pk)


def test_a_cancelled_shift_can_be_neither_edited_nor_published_again(
    coordinator: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation)
    shift_cancel(actor=coordinator, shift_id=shift.pk)

    with pytest.raises(ShiftNotEditable):
        shift_update(actor=coordinator, shift_id=shift.pk, title="Toch wel")
    with pytest.raises(ShiftNotEditable):
        shift_publish(actor=coordinator, shift_id=shift.pk)
    assert shift_cancel(actor=coordinator, shift_id=shift.pk).status == ShiftStatus.CANCELLED


def test_cancelling_a_draft_discards_it(coordinator, organisation):
    draft = ShiftFactory(organisation=organisation, status=ShiftStatus.DRAFT)
    shift_cancel(actor=coordinator, shift_id=draft.pk)
    assert not Shift.objects.filter(pk=draft.pk).exists()

"""A new shift suggested to the volunteers who could claim it
(backend/notifications/new_shifts.py): who, and bounded work for a large organisation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.accounts.models import User, VolunteerProfile
from backend.notifications import new_shifts
from backend.notifications.models import Kind, Notification
from backend.notifications.new_shifts import shift_suggest, suggested_to
from backend.notifications.services import notifications_of
from backend.organisations.models import Membership, Organisation, Role, VolunteerQualification
from backend.shifts.models import Shift, ShiftMode
from backend.shifts.services import claim_create, shift_create, shift_publish
from tests.factories import MembershipFactory, QualificationFactory

pytestmark = pytest.mark.django_db


def member(organisation: Organisation, *, mode: str = "both", role: str = Role.VOLUNTEER) -> User:
    user = MembershipFactory(organisation=organisation, role=role).user
    VolunteerProfile.objects.filter(user=user).update(mode_preference=mode)
    return user


def publish(coordinator: User, organisation: Organisation, **fields: object) -> Shift:
    starts_at = timezone.now() + dt.timedelta(days=2)
    values: dict[str, object] = {"address": "Kerkstraat 1, 9000 Gent", "capacity": 3}
    return shift_create(
        actor=coordinator,
        organisation=organisation,
        title="Bezoek",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=2),
        publish=True,
        **(values | fields),
    )


def test_a_new_shift_is_suggested_to_volunteers_in_its_mode_who_hold_what_it_asks(
    organisation: Organisation, other_organisation: Organisation, coordinator: User
) -> None:
    qualification = QualificationFactory(organisation=organisation)
    anna, bert = member(organisation), member(organisation, mode="on_site")
    member(organisation, mode="online")
    member(organisation, role=Role.COORDINATOR)
    member(other_organisation)
    blocked = member(organisation)
    Membership.objects.filter(user=blocked).update(claims_blocked_at=timezone.now())
    unqualified = member(organisation)
    for user in (anna, bert, blocked):
        VolunteerQualification.objects.create(user=user, qualification=qualification)
    shift = publish(coordinator, organisation, required_qualification_ids=[qualification.pk])
    claim_create(volunteer=bert, shift_id=shift.pk)

    assert suggested_to(shift) == [anna.pk]
    assert unqualified.pk


def test_every_publication_is_recorded_once_and_not_shown_to_coordinators(
    organisation: Organisation, coordinator: User
) -> None:
    published = publish(coordinator, organisation)
    starts_at = timezone.now() + dt.timedelta(days=3)
    draft = shift_create(
        actor=coordinator,
        organisation=organisation,
        title="Later",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
        capacity=1,
        mode=ShiftMode.ONLINE,
        meeting_link="https://meet.example/x",
    )
    assert not Notification.objects.filter(kind=Kind.SHIFT_PUBLISHED, shift=draft).exists()
    shift_publish(actor=coordinator, shift_id=draft.pk)
    shift_publish(actor=coordinator, shift_id=draft.pk)  # already published: nothing new

    rows = Notification.objects.filter(kind=Kind.SHIFT_PUBLISHED)
    assert sorted(rows.values_list("shift_id", flat=True)) == sorted([published.pk, draft.pk])
    assert not notifications_of(actor=coordinator, organisation_id=organisation.pk).exists()


def test_suggesting_takes_as_many_queries_for_three_hundred_volunteers_as_for_thirty(
    organisation: Organisation, coordinator: User
) -> None:
    qualification = QualificationFactory(organisation=organisation)
    shift = publish(coordinator, organisation, required_qualification_ids=[qualification.pk])
    row = Notification.objects.get(kind=Kind.SHIFT_PUBLISHED, shift=shift)

    def queries_and_told() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            told = shift_suggest(notification=row, now=timezone.now())
        return len(captured), told

    for user in [member(organisation) for _ in range(30)]:
        VolunteerQualification.objects.create(user=user, qualification=qualification)
    few = queries_and_told()
    for user in [member(organisation) for _ in range(270)]:
        VolunteerQualification.objects.create(user=user, qualification=qualification)
    many = queries_and_told()

    # The shift, the candidates, Eligibility's six, the board row's two.
    assert (few, many) == ((10, 30), (10, 300))


def test_a_large_organisation_is_judged_in_chunks_of_a_fixed_number_of_queries(
    organisation: Organisation, coordinator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    shift = publish(coordinator, organisation)
    volunteers = sorted(member(organisation).pk for _ in range(25))
    monkeypatch.setattr(new_shifts, "CHUNK", 10)
    with CaptureQueriesContext(connection) as captured:
        assert suggested_to(shift) == volunteers
    # The candidates, then three chunks of Eligibility (no qualifications to read: five each).
    assert len(captured) == 1 + 3 * 5

"""The shift answer is written by hand (``ShiftSerializer.to_representation``) for speed; it
must be exactly what the declared fields, which the schema describes, would give."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from backend.api.serializers import ShiftSerializer
from backend.api.views.shifts import _viewer_context
from backend.organisations.models import Organisation, Role
from backend.shifts.models import Shift
from backend.shifts.services import claim_create
from tests.factories import MembershipFactory, QualificationFactory, shift_at

pytestmark = pytest.mark.django_db


def test_the_hand_written_answer_equals_the_declared_fields(
    organisation: Organisation, make_volunteer
) -> None:  # type: ignore[no-untyped-def]
    viewer = make_volunteer()
    coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    first_aid = QualificationFactory(organisation=organisation)
    on_site = shift_at(organisation, capacity=1, description="Met de rolstoel")
    online = shift_at(
        organisation,
        starts_in=dt.timedelta(days=4),
        mode="online",
        address="",
        meeting_link="https://meet.example.org/x",
        claims_open_at=None,
    )
    later = shift_at(organisation, starts_in=dt.timedelta(days=9), capacity=1)
    Shift.objects.filter(pk=later.pk).update(claims_open_at=later.starts_at - dt.timedelta(days=8))
    claim_create(volunteer=make_volunteer(), shift_id=on_site.pk)  # full
    claim_create(volunteer=viewer, shift_id=on_site.pk)  # waitlisted
    claim_create(volunteer=viewer, shift_id=online.pk)  # confirmed
    on_site.required_qualifications.add(first_aid)

    for user in (viewer, coordinator):
        request = APIRequestFactory().get("/api/v1/shifts/")
        request.user = user
        shifts = list(
            Shift.objects.filter(pk__in=[on_site.pk, online.pk, later.pk])
            .select_related("organisation")
            .prefetch_related("required_qualifications")
            .order_by("starts_at")
        )
        serializer = ShiftSerializer(context=_viewer_context(request, shifts))  # type: ignore[arg-type]
        for shift in shifts:
            by_hand = serializer.to_representation(shift)
            by_fields = serializers.Serializer.to_representation(serializer, shift)
            assert by_hand == dict(by_fields), shift.title
            assert list(by_hand) == list(by_fields)

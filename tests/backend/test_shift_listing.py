"""The shift list's one-statement page (compiled once per combination of filters, run with
each request's values) gives exactly what the plain ORM rules give, on the database in use
(PostgreSQL in CI): the same shifts in the same order, the viewer's own claim, whether they
manage the organisation and the qualifications each shift needs."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from backend.accounts.models import User
from backend.organisations.models import Membership, Organisation, Role
from backend.organisations.selectors import may_manage
from backend.shifts.listing import ShiftQuery, shift_page
from backend.shifts.models import Claim, Shift, ShiftMode, ShiftStatus, ShiftVisibility
from backend.shifts.selectors import shifts_visible_to
from backend.shifts.services import claim_create
from tests.factories import QualificationFactory, UserFactory, shift_at

pytestmark = pytest.mark.django_db


def _expected(
    user: User, query: ShiftQuery, now: dt.datetime, descending: bool, after: dt.datetime | None
) -> list[tuple[object, ...]]:
    shifts = query.apply(shifts_visible_to(user=user), now=now)
    if after is not None:
        shifts = shifts.filter(**{"starts_at__lt" if descending else "starts_at__gt": after})
    order = ("-starts_at", "-id") if descending else ("starts_at", "id")
    rows = []
    for shift in shifts.order_by(*order).distinct():
        claim = Claim.objects.filter(shift=shift, volunteer=user).first()
        rows.append(
            (
                shift.pk,
                shift.organisation.name,
                None if claim is None else (claim.pk, claim.status),
                may_manage(user=user, organisation_id=shift.organisation_id),
                sorted(q.pk for q in shift.required_qualifications.all()),
            )
        )
    return rows


def _listed(
    user: User, query: ShiftQuery, now: dt.datetime, descending: bool, after: dt.datetime | None
) -> list[tuple[object, ...]]:
    page = shift_page(
        viewer=user, query=query, now=now, limit=1000, descending=descending, after=after
    )
    return [
        (
            s.shift.pk,
            s.shift.organisation.name,
            None if s.claim is None else (s.claim.pk, s.claim.status),
            s.manages,
            s.qualification_ids,
        )
        for s in page
    ]


def test_the_page_equals_the_plain_orm_rules_for_every_viewer_and_filter(
    organisation: Organisation, other_organisation: Organisation, make_volunteer
) -> None:
    now = timezone.now()
    volunteer, other = make_volunteer(), make_volunteer()
    coordinator = UserFactory()
    Membership.objects.create(user=coordinator, organisation=organisation, role=Role.COORDINATOR)
    staff = UserFactory(is_staff=True)
    outsider = UserFactory()
    first, second = (QualificationFactory(organisation=organisation) for _ in range(2))
    soon = shift_at(organisation, starts_in=dt.timedelta(hours=5), capacity=1)
    online = shift_at(organisation, starts_in=dt.timedelta(days=1), mode=ShiftMode.ONLINE)
    needs_both = shift_at(organisation, starts_in=dt.timedelta(days=2))
    needs_both.required_qualifications.add(first, second)
    same_start = shift_at(organisation, starts_in=dt.timedelta(days=2))
    draft = shift_at(organisation, starts_in=dt.timedelta(days=3), status=ShiftStatus.DRAFT)
    cancelled = shift_at(organisation, starts_in=dt.timedelta(days=3), status=ShiftStatus.CANCELLED)
    public = shift_at(
        other_organisation, starts_in=dt.timedelta(days=4), visibility=ShiftVisibility.PUBLIC
    )
    shift_at(other_organisation, starts_in=dt.timedelta(days=4))  # members only
    over = shift_at(organisation, starts_in=-dt.timedelta(days=1))
    claim_create(volunteer=volunteer, shift_id=soon.pk)
    claim_create(volunteer=other, shift_id=soon.pk)  # waitlisted: soon has one seat
    claim_create(volunteer=volunteer, shift_id=online.pk)
    claim_create(volunteer=outsider, shift_id=public.pk)
    del draft, cancelled, over

    queries = [
        ShiftQuery(),
        ShiftQuery(open=True),
        ShiftQuery(open=False),
        ShiftQuery(organisation_id=organisation.pk),
        ShiftQuery(mode=ShiftMode.ONLINE),
        ShiftQuery(status=ShiftStatus.DRAFT),
        ShiftQuery(ends_after=now + dt.timedelta(days=1), starts_before=now + dt.timedelta(days=3)),
        ShiftQuery(qualification_id=second.pk),
        ShiftQuery(organisation_id=organisation.pk, open=True, mode=ShiftMode.ON_SITE),
    ]
    compared = 0
    for user, query, descending, after in itertools.product(
        (volunteer, other, coordinator, staff, outsider),
        queries,
        (False, True),
        (None, same_start.starts_at),
    ):
        expected = _expected(user, query, now, descending, after)
        assert _listed(user, query, now, descending, after) == expected, (user, query)
        compared += len(expected)
    # Not a comparison of empty lists: the matrix sees the shifts, claims and roles above.
    assert compared > 200
    mine = _listed(volunteer, ShiftQuery(), now, False, None)
    assert [row[2][1] for row in mine if row[2]] == ["confirmed", "confirmed"]
    waiting = {row[0]: row[2] for row in _listed(other, ShiftQuery(), now, False, None)}
    assert waiting[soon.pk] is not None and waiting[soon.pk][1] == "waitlisted"


def test_pages_follow_each_other_with_a_limit_and_an_offset(organisation: Organisation) -> None:
    viewer = UserFactory()
    Membership.objects.create(user=viewer, organisation=organisation, role=Role.VOLUNTEER)
    shifts = [shift_at(organisation, starts_in=dt.timedelta(days=1 + i // 2)) for i in range(7)]
    now = timezone.now()
    pages = [
        [
            s.shift.pk
            for s in shift_page(viewer=viewer, query=ShiftQuery(), now=now, limit=3, offset=o)
        ]
        for o in (0, 3, 6)
    ]
    assert pages == [[s.pk for s in shifts[0:3]], [s.pk for s in shifts[3:6]], [shifts[6].pk]]
    assert Shift.objects.count() == 7

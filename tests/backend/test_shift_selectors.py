"""shifts_visible_to and waitlist_position: what each person can see."""

from __future__ import annotations

import pytest

from backend.accounts.models import User
from backend.organisations.models import Organisation
from backend.shifts.models import ShiftStatus, ShiftVisibility
from backend.shifts.selectors import shifts_visible_to
from tests.backend.conftest import MakeShift
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shifts(
    organisation: Organisation, other_organisation: Organisation, make_shift: MakeShift
) -> dict[str, int]:
    return {
        "published": make_shift(organisation).pk,
        "draft": make_shift(organisation, status=ShiftStatus.DRAFT).pk,
        "cancelled": make_shift(organisation, status=ShiftStatus.CANCELLED).pk,
        "public": make_shift(organisation, visibility=ShiftVisibility.PUBLIC).pk,
        "public_draft": make_shift(
            organisation, visibility=ShiftVisibility.PUBLIC, status=ShiftStatus.DRAFT
        ).pk,
        "other_published": make_shift(other_organisation).pk,
        "other_draft": make_shift(other_organisation, status=ShiftStatus.DRAFT).pk,
    }


def visible(user: User, shifts: dict[str, int]) -> set[str]:
    ids = set(shifts_visible_to(user=user).values_list("pk", flat=True))
    return {name for name, pk in shifts.items() if pk in ids}


def test_a_volunteer_sees_the_published_and_cancelled_shifts_of_their_organisation_and_public_ones(
    volunteer: User, shifts: dict[str, int]
) -> None:
    assert visible(volunteer, shifts) == {"published", "cancelled", "public"}


def test_a_coordinator_also_sees_the_drafts_of_their_organisation_only(
    coordinator: User, shifts: dict[str, int]
) -> None:
    assert visible(coordinator, shifts) == {
        "published",
        "draft",
        "cancelled",
        "public",
        "public_draft",
    }


def test_a_coordinator_of_another_organisation_sees_only_its_shifts_and_public_ones(
    outsider: User, shifts: dict[str, int]
) -> None:
    assert visible(outsider, shifts) == {"other_published", "other_draft", "public"}


def test_someone_without_an_organisation_sees_only_published_public_shifts(
    shifts: dict[str, int],
) -> None:
    assert visible(UserFactory(), shifts) == {"public"}

"""One answer to "may this person manage this organisation?", for every interface."""

from __future__ import annotations

import pytest

from backend.core.errors import NotFound, PermissionDenied
from backend.organisations.models import Role
from backend.organisations.selectors import (
    access_organisation,
    managed_organisation_ids,
    may_administer,
    may_manage,
)
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_coordinators_admins_and_staff_manage_volunteers_and_outsiders_do_not(
    organisation, volunteer, coordinator, outsider
):
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    staff = UserFactory(is_staff=True)
    org = organisation.pk
    assert [may_manage(user=u, organisation_id=org) for u in (coordinator, admin, staff)] == [
        True,
        True,
        True,
    ]
    assert not may_manage(user=volunteer, organisation_id=org)
    assert not may_manage(user=outsider, organisation_id=org)
    assert [may_administer(user=u, organisation_id=org) for u in (coordinator, admin, staff)] == [
        False,
        True,
        True,
    ]
    assert set(managed_organisation_ids(user=staff)) >= {org}
    assert set(managed_organisation_ids(user=volunteer)) == set()


def test_a_deactivated_account_manages_nothing_whatever_its_memberships(organisation, coordinator):
    coordinator.is_active = False
    coordinator.save()
    assert not may_manage(user=coordinator, organisation_id=organisation.pk)
    assert list(managed_organisation_ids(user=coordinator)) == []
    with pytest.raises(NotFound):
        access_organisation(user=coordinator, organisation_id=organisation.pk)


def test_access_hides_an_organisation_from_outsiders_and_refuses_members_who_do_not_manage(
    organisation, volunteer, outsider
):
    with pytest.raises(NotFound):
        access_organisation(user=outsider, organisation_id=organisation.pk)
    assert access_organisation(user=volunteer, organisation_id=organisation.pk) == organisation
    with pytest.raises(PermissionDenied):
        access_organisation(user=volunteer, organisation_id=organisation.pk, manage=True)

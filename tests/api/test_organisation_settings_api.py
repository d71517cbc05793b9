"""An organisation's settings through the API: admins change the no-show limit."""

from __future__ import annotations

import pytest

from backend.accounts.models import User
from backend.organisations.models import Organisation, Role
from tests.conftest import client_for
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(organisation: Organisation) -> User:
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


def url(organisation: Organisation) -> str:
    return f"/api/v1/organisations/{organisation.pk}/"


def test_an_admin_sets_the_no_show_limit(admin: User, organisation: Organisation) -> None:
    response = client_for(admin).patch(url(organisation), {"no_show_limit": 4}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["no_show_limit"] == 4
    organisation.refresh_from_db()
    assert organisation.no_show_limit == 4
    assert client_for(admin).get(url(organisation)).json()["no_show_limit"] == 4


@pytest.mark.parametrize("limit", [0, 21, -1, "many"])
def test_the_no_show_limit_is_between_1_and_20(
    admin: User, organisation: Organisation, limit: object
) -> None:
    response = client_for(admin).patch(url(organisation), {"no_show_limit": limit}, format="json")
    assert response.status_code == 400
    assert "no_show_limit" in response.json()["fields"]
    organisation.refresh_from_db()
    assert organisation.no_show_limit == 2


def test_coordinators_and_volunteers_may_not_change_it(
    coordinator: User, volunteer: User, organisation: Organisation
) -> None:
    for user in (coordinator, volunteer):
        response = client_for(user).patch(url(organisation), {"no_show_limit": 5}, format="json")
        assert response.status_code == 403
    organisation.refresh_from_db()
    assert organisation.no_show_limit == 2


def test_outsiders_do_not_learn_the_organisation_exists(
    outsider: User, organisation: Organisation
) -> None:
    response = client_for(outsider).patch(url(organisation), {"no_show_limit": 5}, format="json")
    assert response.status_code == 404


def test_the_service_refuses_a_limit_out_of_range_whoever_calls_it(
    admin: User, organisation: Organisation
) -> None:
    from backend.core.errors import ValidationFailed
    from backend.organisations.services import organisation_update

    with pytest.raises(ValidationFailed):
        organisation_update(actor=admin, organisation_id=organisation.pk, no_show_limit=0)


def test_roles_are_changed_by_admins_only(
    admin: User, coordinator: User, volunteer: User, organisation: Organisation
) -> None:
    membership = volunteer.memberships.get()
    member_url = f"{url(organisation)}members/{membership.pk}/"

    refused = client_for(coordinator).patch(
        member_url, {"role": Role.COORDINATOR}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    granted = client_for(admin).patch(member_url, {"role": Role.COORDINATOR}, format="json")

    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert refused.json()["detail"] == "Only admins can change roles."
    assert granted.status_code == 200, granted.json()
    assert granted.json()["role"] == Role.COORDINATOR


def test_an_admin_sets_until_when_stand_ins_may_be_asked(
    admin: User, organisation: Organisation
) -> None:
    assert client_for(admin).get(url(organisation)).json()["stand_in_deadline_hours"] == 72
    response = client_for(admin).patch(
        url(organisation), {"stand_in_deadline_hours": 24}, format="json"
    )
    too_long = client_for(admin).patch(
        url(organisation), {"stand_in_deadline_hours": 400}, format="json"
    )

    assert response.status_code == 200 and response.json()["stand_in_deadline_hours"] == 24
    assert too_long.status_code == 400 and "stand_in_deadline_hours" in too_long.json()["fields"]

"""Invite codes through the API: listed with their id, created without a use limit (null),
revoked by id (issue 12)."""

from __future__ import annotations

import pytest

from backend.accounts.models import User
from backend.core.errors import InvalidInviteCode
from backend.organisations.models import Organisation, Role
from backend.organisations.services import organisation_join
from tests.conftest import client_for
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def invites_url(organisation: Organisation) -> str:
    return f"/api/v1/organisations/{organisation.pk}/invites/"


def test_a_coordinator_lists_creates_and_revokes_invites_by_id(
    coordinator: User, organisation: Organisation
) -> None:
    client = client_for(coordinator)
    created = client.post(invites_url(organisation), {"max_uses": None}, format="json")
    assert created.status_code == 201, created.json()
    invite = created.json()
    assert invite["max_uses"] is None and isinstance(invite["id"], int)
    assert [i["id"] for i in client.get(invites_url(organisation)).json()] == [invite["id"]]

    revoked = client.delete(f"{invites_url(organisation)}{invite['id']}/")

    assert revoked.status_code == 204
    assert client.get(invites_url(organisation)).json() == []
    with pytest.raises(InvalidInviteCode):
        organisation_join(user=UserFactory(), code=invite["code"])


def test_revoking_is_for_the_organisations_managers_and_admin_invites_for_admins(
    coordinator: User, volunteer: User, outsider: User, organisation: Organisation
) -> None:
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    made = client_for(admin).post(invites_url(organisation), {"role": "admin"}, format="json")
    url = f"{invites_url(organisation)}{made.json()['id']}/"

    answers = {
        "volunteer": client_for(volunteer).delete(url).status_code,
        "outsider": client_for(outsider).delete(url).status_code,
        "coordinator": client_for(coordinator).delete(url).status_code,
        "unknown id": client_for(admin).delete(f"{invites_url(organisation)}999999/").status_code,
        "admin": client_for(admin).delete(url).status_code,
    }

    assert answers == {
        "volunteer": 403,
        "outsider": 404,
        "coordinator": 403,
        "unknown id": 404,
        "admin": 204,
    }

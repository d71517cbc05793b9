"""Organisations: creating one, inviting people with codes, and joining with a code."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection
from django.utils import translation

from backend.accounts.models import User
from backend.core.errors import InvalidInviteCode, NotFound, PermissionDenied, ValidationFailed
from backend.lifecycle.services import membership_end
from backend.organisations.models import (
    InviteCode,
    Membership,
    Organisation,
    Role,
    VolunteerQualification,
)
from backend.organisations.services import (
    invite_create,
    membership_set_role,
    organisation_create,
    organisation_join,
    qualification_create,
    qualification_grant,
)
from tests.backend.claim_process import connect_patiently
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def role_in(user: User, organisation: Organisation) -> str | None:
    membership = Membership.objects.filter(user=user, organisation=organisation).first()
    return membership.role if membership else None


def test_the_creator_of_an_organisation_becomes_its_admin() -> None:
    creator = UserFactory()

    organisation = organisation_create(creator=creator, name="  Buurtzorg Ledeberg ")

    assert organisation.name == "Buurtzorg Ledeberg"
    assert organisation.slug == "buurtzorg-ledeberg"
    assert organisation.time_zone == "Europe/Brussels"
    assert role_in(creator, organisation) == Role.ADMIN


def test_two_organisations_with_the_same_name_get_different_slugs() -> None:
    first = organisation_create(creator=UserFactory(), name="Rode Kruis")
    second = organisation_create(creator=UserFactory(), name="Rode Kruis")

    assert first.slug != second.slug


@pytest.mark.parametrize(
    ("fields", "wrong"),
    [
        ({"name": "   "}, "name"),
        ({"name": "Ok", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"name": "Ok", "kind": "club"}, "kind"),
    ],
)
def test_an_invalid_organisation_is_refused(fields: dict[str, str], wrong: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        organisation_create(creator=UserFactory(), **fields)

    assert wrong in refused.value.fields
    assert not Organisation.objects.exists()


def test_a_volunteer_cannot_make_invite_codes(volunteer: User, organisation: Organisation) -> None:
    with pytest.raises(PermissionDenied):
        invite_create(actor=volunteer, organisation=organisation)


def test_a_coordinator_cannot_invite_admins(coordinator: User, organisation: Organisation) -> None:
    with pytest.raises(ValidationFailed):
        invite_create(actor=coordinator, organisation=organisation, role=Role.ADMIN)


def test_joining_with_an_invite_code_gives_its_role(
    coordinator: User, organisation: Organisation
) -> None:
    invite = invite_create(actor=coordinator, organisation=organisation, role=Role.COORDINATOR)
    newcomer = UserFactory()

    membership = organisation_join(user=newcomer, code=invite.code)

    assert membership.organisation == organisation
    assert role_in(newcomer, organisation) == Role.COORDINATOR


def test_an_expired_invite_code_is_refused(coordinator: User, organisation: Organisation) -> None:
    invite = invite_create(
        actor=coordinator, organisation=organisation, valid_for=dt.timedelta(days=1)
    )
    assert invite.expires_at is not None

    with (
        time_machine.travel(invite.expires_at + dt.timedelta(seconds=1), tick=False),
        pytest.raises(InvalidInviteCode),
    ):
        organisation_join(user=UserFactory(), code=invite.code)

    assert Membership.objects.filter(organisation=organisation).count() == 1


def test_an_unknown_or_revoked_code_is_refused(
    coordinator: User, organisation: Organisation
) -> None:
    invite = invite_create(actor=coordinator, organisation=organisation)
    InviteCode.objects.filter(pk=invite.pk).update(revoked=True)

    for code in (invite.code, "no-such-code"):
        with pytest.raises(InvalidInviteCode):
            organisation_join(user=UserFactory(), code=code)


def test_a_code_stops_working_once_it_has_been_used_max_uses_times(
    coordinator: User, organisation: Organisation
) -> None:
    invite = invite_create(actor=coordinator, organisation=organisation, max_uses=2)
    organisation_join(user=UserFactory(), code=invite.code)
    organisation_join(user=UserFactory(), code=invite.code)
    late = UserFactory()

    with pytest.raises(InvalidInviteCode):
        organisation_join(user=late, code=invite.code)

    assert role_in(late, organisation) is None
    invite.refresh_from_db()
    assert invite.uses == 2


def test_joining_again_with_a_lower_role_keeps_the_higher_one(
    coordinator: User, organisation: Organisation
) -> None:
    invite = invite_create(actor=coordinator, organisation=organisation, role=Role.VOLUNTEER)

    organisation_join(user=coordinator, code=invite.code)

    assert role_in(coordinator, organisation) == Role.COORDINATOR
    assert Membership.objects.filter(user=coordinator, organisation=organisation).count() == 1


def test_joining_again_with_a_higher_role_raises_the_role(
    volunteer: User, coordinator: User, organisation: Organisation
) -> None:
    invite = invite_create(actor=coordinator, organisation=organisation, role=Role.COORDINATOR)

    organisation_join(user=volunteer, code=invite.code)

    assert role_in(volunteer, organisation) == Role.COORDINATOR


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared_database")
def test_a_single_use_code_used_by_several_people_at_once_lets_exactly_one_join(
    coordinator: User, organisation: Organisation
) -> None:
    invite = invite_create(actor=coordinator, organisation=organisation, max_uses=1)
    people = [UserFactory() for _ in range(8)]
    barrier = threading.Barrier(len(people))
    outcomes: list[object] = [None] * len(people)

    def join(index: int, person: User) -> None:
        try:
            connect_patiently()
            barrier.wait(timeout=30)
            outcomes[index] = organisation_join(user=person, code=invite.code)
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=join, args=pair) for pair in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(isinstance(o, Membership) for o in outcomes) == 1
    assert sum(isinstance(o, InvalidInviteCode) for o in outcomes) == len(people) - 1
    joined = Membership.objects.filter(organisation=organisation, user__in=people)
    assert joined.count() == 1
    invite.refresh_from_db()
    assert invite.uses == 1


# --- qualifications and roles ---------------------------------------------------------------


def test_a_coordinator_confirms_a_qualification_of_a_member_with_an_expiry(
    coordinator: User, volunteer: User, organisation: Organisation
) -> None:
    first_aid = qualification_create(actor=coordinator, organisation=organisation, name="EHBO")
    expires = dt.date(2030, 1, 31)

    held = qualification_grant(
        actor=coordinator, qualification=first_aid, user=volunteer, expires_on=expires
    )

    assert (held.user, held.confirmed_by, held.expires_on) == (volunteer, coordinator, expires)
    assert held.valid_on(expires)
    assert not held.valid_on(expires + dt.timedelta(days=1))


def test_a_qualification_name_is_unique_within_an_organisation(
    coordinator: User, organisation: Organisation
) -> None:
    qualification_create(actor=coordinator, organisation=organisation, name="EHBO")

    with pytest.raises(ValidationFailed):
        qualification_create(actor=coordinator, organisation=organisation, name="EHBO")


def test_qualifications_are_granted_only_to_members_and_only_by_its_coordinators(
    coordinator: User, volunteer: User, outsider: User, organisation: Organisation
) -> None:
    first_aid = qualification_create(actor=coordinator, organisation=organisation, name="EHBO")

    with pytest.raises(NotFound):
        qualification_grant(actor=coordinator, qualification=first_aid, user=outsider)
    with pytest.raises(PermissionDenied):
        qualification_grant(actor=outsider, qualification=first_aid, user=volunteer)
    with pytest.raises(PermissionDenied):
        qualification_grant(actor=volunteer, qualification=first_aid, user=volunteer)

    assert not VolunteerQualification.objects.exists()


def test_only_an_admin_changes_roles_and_removes_members(
    coordinator: User, volunteer: User, organisation: Organisation
) -> None:
    membership = Membership.objects.get(user=volunteer, organisation=organisation)
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user

    with translation.override("en"):
        for role in (Role.ADMIN, Role.COORDINATOR):
            with pytest.raises(PermissionDenied, match="Only admins can change roles"):
                membership_set_role(actor=coordinator, membership=membership, role=role)
        with pytest.raises(PermissionDenied, match="Only admins can remove members"):
            membership_end(actor=coordinator, membership_id=membership.pk)
    assert role_in(volunteer, organisation) == Role.VOLUNTEER

    membership_set_role(actor=admin, membership=membership, role=Role.COORDINATOR)
    assert role_in(volunteer, organisation) == Role.COORDINATOR
    membership_end(actor=admin, membership_id=membership.pk)
    assert role_in(volunteer, organisation) is None


def test_invite_codes_are_easy_to_type_and_join_in_any_case(
    coordinator: User, organisation: Organisation
) -> None:
    codes = [
        invite_create(actor=coordinator, organisation=organisation, role=Role.VOLUNTEER).code
        for _ in range(20)
    ]
    assert all(len(code) == 10 for code in codes)
    assert not set("".join(codes)) - set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")

    typed = f"  {codes[0].lower()} "
    membership = organisation_join(user=UserFactory(), code=typed)
    assert membership.organisation == organisation

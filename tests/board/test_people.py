"""The cockpit's people pages: members, qualifications, no-show blocks, roles and removal.

The cast: ``volunteer`` and ``coordinator`` of ``organisation``, an ``admin`` of it, and
``outsider``, a coordinator of ``other_organisation``. Pages are read in English.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from backend.accounts.models import User
from backend.core.errors import ValidationFailed
from backend.organisations.models import (
    Membership,
    MembershipRoleChange,
    Organisation,
    PastMembership,
    Qualification,
    Role,
    VolunteerQualification,
)
from backend.organisations.services import membership_set_role
from backend.shifts.models import Claim, ClaimStatus
from tests.factories import MembershipFactory, QualificationFactory, shift_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(organisation: Organisation) -> User:
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


def client_for(user: User | None, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf, HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def membership(user: User, organisation: Organisation) -> Membership:
    return Membership.objects.get(user=user, organisation=organisation)


def people_url(organisation: Organisation, *rest: object) -> str:
    tail = "".join(f"{part}/" for part in rest)
    return f"/board/{organisation.slug}/people/{tail}"


def block(member: Membership, count: int = 2) -> None:
    Membership.objects.filter(pk=member.pk).update(
        no_show_count=count, claims_blocked_at=timezone.now()
    )


# --- the list ---------------------------------------------------------------------------------


def test_the_people_page_shows_role_qualifications_no_shows_and_last_shift(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    first_aid = QualificationFactory(organisation=organisation, name="First aid")
    VolunteerQualification.objects.create(
        user=volunteer, qualification=first_aid, expires_on=dt.date(2031, 3, 4)
    )
    block(membership(volunteer, organisation))
    earlier = shift_at(organisation, starts_in=-dt.timedelta(days=20))
    last = shift_at(organisation, starts_in=-dt.timedelta(days=3))
    upcoming = shift_at(organisation, starts_in=dt.timedelta(days=3))
    for shift, status in (
        (earlier, ClaimStatus.COMPLETED),
        (last, ClaimStatus.COMPLETED),
        (upcoming, ClaimStatus.CONFIRMED),
    ):
        Claim.objects.create(shift=shift, volunteer=volunteer, status=status)

    response = client_for(coordinator).get(people_url(organisation))

    assert response.status_code == 200
    html = response.content.decode()
    assert volunteer.profile.display_name in html
    assert "First aid · until 4 March 2031" in html
    assert "No-shows (blocked at 2)" in html and "Blocked" in html
    assert '<span class="no-shows">2</span>' in html
    local_day = timezone.localtime(last.starts_at).date()
    assert f"{local_day:%-d} {local_day:%B} {local_day:%Y}" in html
    row = next(p for p in response.context["people"] if p.membership.user_id == volunteer.pk)
    assert row.last_shift == local_day


def test_a_no_show_or_cancelled_claim_is_not_a_last_shift(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    missed = shift_at(organisation, starts_in=-dt.timedelta(days=2))
    Claim.objects.create(shift=missed, volunteer=volunteer, status=ClaimStatus.NO_SHOW)

    response = client_for(coordinator).get(people_url(organisation))

    row = next(p for p in response.context["people"] if p.membership.user_id == volunteer.pk)
    assert row.last_shift is None


def test_the_list_filters_by_name_and_role(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    volunteer.profile.display_name = "Mieke Claes"
    volunteer.profile.save()

    found = client_for(coordinator).get(people_url(organisation), {"q": "mieke"})
    coordinators = client_for(coordinator).get(people_url(organisation), {"role": "coordinator"})

    assert [p.membership.user_id for p in found.context["people"]] == [volunteer.pk]
    assert [p.membership.user_id for p in coordinators.context["people"]] == [coordinator.pk]


def test_another_organisations_members_and_qualifications_are_not_shown(
    organisation: Organisation,
    other_organisation: Organisation,
    coordinator: User,
    volunteer: User,
    outsider: User,
) -> None:
    # The volunteer is also a member elsewhere, with a qualification of that organisation.
    # The outsider's name is set: a random first name may be the coordinator's too.
    outsider.profile.display_name = "Zebedeus Outsider"
    outsider.profile.save(update_fields=["display_name"])
    MembershipFactory(user=volunteer, organisation=other_organisation)
    theirs = QualificationFactory(organisation=other_organisation, name="Their secret course")
    VolunteerQualification.objects.create(user=volunteer, qualification=theirs)

    html = client_for(coordinator).get(people_url(organisation)).content.decode()
    person = client_for(coordinator).get(
        people_url(organisation, membership(volunteer, organisation).pk)
    )

    assert outsider.profile.display_name not in html
    assert "Their secret course" not in html
    assert "Their secret course" not in person.content.decode()


@pytest.mark.parametrize("members", [2, 20])
def test_the_people_page_reads_a_fixed_number_of_queries(
    organisation: Organisation, coordinator: User, members: int, django_assert_num_queries
) -> None:
    courses = [QualificationFactory(organisation=organisation) for _ in range(2)]
    for n in range(members):
        person = MembershipFactory(organisation=organisation).user
        for course in courses:
            VolunteerQualification.objects.create(user=person, qualification=course)
        if n % 3 == 0:
            shift = shift_at(organisation, starts_in=-dt.timedelta(days=n + 1))
            Claim.objects.create(shift=shift, volunteer=person, status=ClaimStatus.COMPLETED)
    client = client_for(coordinator)

    # Session, user, organisation, may_manage, may_administer; members, their
    # qualifications, last shifts, the catalogue.
    with django_assert_num_queries(9):
        response = client.get(people_url(organisation))

    assert len(response.context["people"]) == members + 1


@pytest.mark.parametrize("member", [2, 20])
def test_a_members_page_reads_a_fixed_number_of_queries(
    organisation: Organisation, coordinator: User, member: int, django_assert_num_queries
) -> None:
    person = MembershipFactory(organisation=organisation)
    for _ in range(member):
        VolunteerQualification.objects.create(
            user=person.user, qualification=QualificationFactory(organisation=organisation)
        )
    client = client_for(coordinator)

    with django_assert_num_queries(9):
        response = client.get(people_url(organisation, person.pk))

    assert len(response.context["person"].held) == member


def test_volunteers_outsiders_and_visitors_may_not_see_people(
    organisation: Organisation, volunteer: User, outsider: User, coordinator: User
) -> None:
    member_page = people_url(organisation, membership(coordinator, organisation).pk)
    for url in (people_url(organisation), member_page):
        assert client_for(volunteer).get(url).status_code == 403
        assert client_for(outsider).get(url).status_code == 403
        assert client_for(None).get(url).status_code == 302


def test_a_membership_of_another_organisation_is_not_found(
    organisation: Organisation, other_organisation: Organisation, coordinator: User, admin: User
) -> None:
    theirs = MembershipFactory(organisation=other_organisation)
    block(theirs)

    assert client_for(coordinator).get(people_url(organisation, theirs.pk)).status_code == 404
    assert (
        client_for(coordinator).post(people_url(organisation, theirs.pk, "clear-block")).status_code
        == 404
    )
    assert (
        client_for(admin)
        .post(people_url(organisation, theirs.pk, "role"), {"role": "coordinator"})
        .status_code
        == 404
    )
    assert client_for(admin).post(people_url(organisation, theirs.pk, "remove")).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.role, theirs.no_show_count) == (Role.VOLUNTEER, 2)


# --- qualifications ---------------------------------------------------------------------------


def test_a_coordinator_confirms_a_qualification_with_an_expiry_date(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    first_aid = QualificationFactory(organisation=organisation, name="First aid")
    member = membership(volunteer, organisation)

    response = client_for(coordinator).post(
        people_url(organisation, member.pk, "qualifications"),
        {"qualification": first_aid.pk, "expires_on": "2030-06-30"},
        follow=True,
    )

    held = VolunteerQualification.objects.get(user=volunteer, qualification=first_aid)
    assert (held.expires_on, held.confirmed_by) == (dt.date(2030, 6, 30), coordinator)
    assert "First aid confirmed for" in response.content.decode()


def test_a_coordinator_changes_the_expiry_and_removes_a_qualification(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    first_aid = QualificationFactory(organisation=organisation)
    VolunteerQualification.objects.create(user=volunteer, qualification=first_aid)
    member = membership(volunteer, organisation)
    client = client_for(coordinator)

    client.post(
        people_url(organisation, member.pk, "qualifications", first_aid.pk),
        {"expires_on": "2029-01-15"},
    )
    assert VolunteerQualification.objects.get().expires_on == dt.date(2029, 1, 15)

    client.post(people_url(organisation, member.pk, "qualifications", first_aid.pk, "remove"))
    assert not VolunteerQualification.objects.exists()


def test_a_wrong_expiry_date_is_shown_next_to_its_field(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    first_aid = QualificationFactory(organisation=organisation)
    VolunteerQualification.objects.create(
        user=volunteer, qualification=first_aid, expires_on=dt.date(2030, 1, 1)
    )
    member = membership(volunteer, organisation)

    response = client_for(coordinator).post(
        people_url(organisation, member.pk, "qualifications", first_aid.pk),
        {"expires_on": "the day after tomorrow"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and "Enter a valid date." in html
    assert VolunteerQualification.objects.get().expires_on == dt.date(2030, 1, 1)


def test_another_organisations_qualification_cannot_be_granted(
    organisation: Organisation,
    other_organisation: Organisation,
    coordinator: User,
    volunteer: User,
) -> None:
    theirs = QualificationFactory(organisation=other_organisation)
    member = membership(volunteer, organisation)

    response = client_for(coordinator).post(
        people_url(organisation, member.pk, "qualifications"), {"qualification": theirs.pk}
    )

    assert response.status_code == 400
    assert not VolunteerQualification.objects.exists()


def test_volunteers_and_outsiders_cannot_grant_or_revoke(
    organisation: Organisation, coordinator: User, volunteer: User, outsider: User
) -> None:
    first_aid = QualificationFactory(organisation=organisation)
    VolunteerQualification.objects.create(user=coordinator, qualification=first_aid)
    member = membership(volunteer, organisation)
    holder = membership(coordinator, organisation)

    for user in (volunteer, outsider):
        client = client_for(user)
        grant = client.post(
            people_url(organisation, member.pk, "qualifications"), {"qualification": first_aid.pk}
        )
        revoke = client.post(
            people_url(organisation, holder.pk, "qualifications", first_aid.pk, "remove")
        )
        assert (grant.status_code, revoke.status_code) == (403, 403)

    assert list(VolunteerQualification.objects.values_list("user_id", flat=True)) == [
        coordinator.pk
    ]


def test_a_coordinator_adds_a_qualification_to_the_catalogue(
    organisation: Organisation, coordinator: User
) -> None:
    client = client_for(coordinator)

    client.post(people_url(organisation, "qualifications"), {"name": " Dementia care "})
    blank = client.post(people_url(organisation, "qualifications"), {"name": "   "})
    twice = client.post(people_url(organisation, "qualifications"), {"name": "Dementia care"})

    assert list(Qualification.objects.values_list("name", flat=True)) == ["Dementia care"]
    assert blank.status_code == twice.status_code == 400
    assert "This field may not be blank." in blank.content.decode()
    assert "This qualification already exists." in twice.content.decode()
    assert 'id="id_name_error"' in twice.content.decode()


def test_a_volunteer_cannot_add_to_the_catalogue(
    organisation: Organisation, volunteer: User
) -> None:
    response = client_for(volunteer).post(people_url(organisation, "qualifications"), {"name": "X"})

    assert response.status_code == 403
    assert not Qualification.objects.exists()


# --- no-show blocks ---------------------------------------------------------------------------


def test_a_coordinator_clears_a_no_show_block_from_the_list(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    member = membership(volunteer, organisation)
    block(member)

    response = client_for(coordinator).post(
        people_url(organisation, member.pk, "clear-block"), {"back": "list"}
    )

    assert response.status_code == 302
    assert response["Location"] == people_url(organisation)
    member.refresh_from_db()
    assert (member.no_show_count, member.claims_blocked_at) == (0, None)


def test_volunteers_and_outsiders_cannot_clear_a_block(
    organisation: Organisation, volunteer: User, outsider: User
) -> None:
    member = membership(volunteer, organisation)
    block(member)

    for user in (volunteer, outsider):
        assert (
            client_for(user).post(people_url(organisation, member.pk, "clear-block")).status_code
            == 403
        )

    member.refresh_from_db()
    assert member.no_show_count == 2 and member.claims_blocked_at is not None


# --- roles and removal ------------------------------------------------------------------------


def test_an_admin_changes_a_role(organisation: Organisation, admin: User, volunteer: User) -> None:
    member = membership(volunteer, organisation)

    response = client_for(admin).post(
        people_url(organisation, member.pk, "role"), {"role": "coordinator"}, follow=True
    )

    member.refresh_from_db()
    assert member.role == Role.COORDINATOR
    assert MembershipRoleChange.objects.filter(user=volunteer, to_role=Role.COORDINATOR).exists()
    assert "is now coordinator" in response.content.decode()


def test_a_coordinator_sees_no_role_or_removal_controls_and_is_refused(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    member = membership(volunteer, organisation)
    client = client_for(coordinator)

    page = client.get(people_url(organisation, member.pk)).content.decode()
    role = client.post(people_url(organisation, member.pk, "role"), {"role": "coordinator"})
    remove = client.post(people_url(organisation, member.pk, "remove"))

    assert people_url(organisation, member.pk, "role") not in page
    assert people_url(organisation, member.pk, "remove") not in page
    assert "Only admins can change roles or remove members." in page
    assert (role.status_code, remove.status_code) == (403, 403)
    member.refresh_from_db()
    assert member.role == Role.VOLUNTEER


def test_the_last_admin_keeps_the_admin_role(organisation: Organisation, admin: User) -> None:
    own = membership(admin, organisation)

    response = client_for(admin).post(
        people_url(organisation, own.pk, "role"), {"role": "volunteer"}
    )

    assert response.status_code == 400
    assert "The organisation needs an admin" in response.content.decode()
    own.refresh_from_db()
    assert own.role == Role.ADMIN


def test_an_admin_may_step_down_when_another_admin_remains(
    organisation: Organisation, admin: User
) -> None:
    MembershipFactory(organisation=organisation, role=Role.ADMIN)
    own = membership(admin, organisation)

    membership_set_role(actor=admin, membership=own, role=Role.COORDINATOR)

    own.refresh_from_db()
    assert own.role == Role.COORDINATOR
    other = Membership.objects.get(organisation=organisation, role=Role.ADMIN)
    with pytest.raises(ValidationFailed):
        membership_set_role(actor=other.user, membership=other, role=Role.VOLUNTEER)


def test_an_admin_removes_a_member_after_confirming(
    organisation: Organisation, admin: User, volunteer: User
) -> None:
    member = membership(volunteer, organisation)
    client = client_for(admin)

    confirm = client.get(people_url(organisation, member.pk, "remove"))
    assert Membership.objects.filter(pk=member.pk).exists()
    response = client.post(people_url(organisation, member.pk, "remove"), follow=True)

    assert confirm.status_code == 200
    assert "upcoming shifts are cancelled" in confirm.content.decode()
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert PastMembership.objects.filter(user=volunteer, organisation=organisation).exists()
    assert "is no longer a member" in response.content.decode()


def test_the_last_admin_cannot_be_removed(organisation: Organisation, admin: User) -> None:
    own = membership(admin, organisation)

    response = client_for(admin).post(people_url(organisation, own.pk, "remove"))

    assert response.status_code == 400
    assert "The last admin cannot leave" in response.content.decode()
    assert Membership.objects.filter(pk=own.pk).exists()


def test_every_post_needs_the_csrf_token(
    organisation: Organisation, admin: User, volunteer: User
) -> None:
    member = membership(volunteer, organisation)
    block(member)
    first_aid = QualificationFactory(organisation=organisation)
    client = client_for(admin, csrf=True)

    posts = [
        (people_url(organisation, member.pk, "clear-block"), {}),
        (people_url(organisation, member.pk, "role"), {"role": "coordinator"}),
        (people_url(organisation, member.pk, "remove"), {}),
        (people_url(organisation, member.pk, "qualifications"), {"qualification": first_aid.pk}),
        (people_url(organisation, "qualifications"), {"name": "Driving licence"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url

    member.refresh_from_db()
    assert (member.role, member.no_show_count) == (Role.VOLUNTEER, 2)
    assert not VolunteerQualification.objects.exists()
    assert Qualification.objects.count() == 1

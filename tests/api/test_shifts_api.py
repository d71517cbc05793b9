import datetime as dt

import pytest
from django.utils import timezone

from backend.organisations.models import Role, VolunteerQualification
from backend.shifts.models import Claim, ClaimStatus, Shift, ShiftChange, ShiftMode, ShiftStatus
from backend.shifts.services import claim_create
from tests.conftest import client_for
from tests.factories import MembershipFactory, QualificationFactory, ShiftFactory

pytestmark = pytest.mark.django_db


def future(hours: int) -> str:
    return (timezone.now() + dt.timedelta(hours=hours)).isoformat()


def shift_body(organisation, **overrides):
    body = {
        "organisation": organisation.pk,
        "title": "Voorlezen in de cafetaria",
        "mode": "on_site",
        "address": "Kerkstraat 1, Gent",
        "starts_at": future(48),
        "ends_at": future(50),
        "capacity": 3,
    }
    body.update(overrides)
    return body


def test_a_coordinator_creates_and_publishes_a_shift(coordinator, organisation, volunteer):
    client = client_for(coordinator)
    created = client.post("/api/v1/shifts/", shift_body(organisation), format="json")
    assert created.status_code == 201
    assert created.json()["status"] == "draft"
    shift_id = created.json()["id"]
    # Volunteers don't see drafts.
    assert client_for(volunteer).get(f"/api/v1/shifts/{shift_id}/").status_code == 404
    published = client.post(f"/api/v1/shifts/{shift_id}/publish/")
    assert published.json()["status"] == "published"
    assert client_for(volunteer).get(f"/api/v1/shifts/{shift_id}/").status_code == 200


def test_times_are_shown_in_the_organisations_time_zone(coordinator, organisation):
    body = shift_body(
        organisation,
        starts_at="2031-07-01T10:00:00Z",
        ends_at="2031-07-01T12:00:00Z",
        publish=True,
    )
    response = client_for(coordinator).post("/api/v1/shifts/", body, format="json")
    assert response.json()["starts_at"] == "2031-07-01T12:00:00+02:00"
    assert response.json()["time_zone"] == "Europe/Brussels"
    assert Shift.objects.get().starts_at == dt.datetime(2031, 7, 1, 10, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_at": future(47)}, "ends_at"),
        ({"starts_at": future(-2), "ends_at": future(1)}, "starts_at"),
        ({"ends_at": future(48 + 25)}, "ends_at"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 501}, "capacity"),
        ({"capacity": "veel"}, "capacity"),
        ({"address": ""}, "address"),
        ({"mode": "online", "meeting_link": ""}, "meeting_link"),
        ({"mode": "teleport"}, "mode"),
        ({"starts_at": "gisteren"}, "starts_at"),
        ({"required_qualifications": [987654]}, "required_qualifications"),
        ({"title": ""}, "title"),
    ],
)
def test_invalid_shifts_are_refused_with_the_field_named(
    coordinator, organisation, overrides, field
):
    response = client_for(coordinator).post(
        "/api/v1/shifts/", shift_body(organisation, **overrides), format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    assert not Shift.objects.exists()


def test_volunteers_cannot_create_shifts(volunteer, organisation):
    response = client_for(volunteer).post(
        "/api/v1/shifts/", shift_body(organisation), format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_coordinator_cannot_create_shifts_for_another_organisation(outsider, organisation):
    response = client_for(outsider).post("/api/v1/shifts/", shift_body(organisation), format="json")
    assert response.status_code == 403
    assert not Shift.objects.exists()


def test_other_organisations_shifts_are_invisible_and_untouchable(outsider, organisation):
    shift = ShiftFactory(organisation=organisation)
    client = client_for(outsider)
    assert client.get("/api/v1/shifts/").json()["results"] == []
    assert client.get(f"/api/v1/shifts/{shift.pk}/").status_code == 404
    assert (
        client.patch(f"/api/v1/shifts/{shift.pk}/", {"capacity": 9}, format="json").status_code
        == 404
    )
    assert client.delete(f"/api/v1/shifts/{shift.pk}/").status_code == 404
    assert client.post(f"/api/v1/shifts/{shift.pk}/claim/").json()["code"] == "not_member"
    assert client.get(f"/api/v1/shifts/{shift.pk}/claims/").status_code == 404
    shift.refresh_from_db()
    assert shift.capacity == 5 and shift.status == ShiftStatus.PUBLISHED


def test_public_shifts_are_visible_to_every_registered_volunteer(outsider, organisation):
    shift = ShiftFactory(organisation=organisation, visibility="public")
    response = client_for(outsider).get("/api/v1/shifts/")
    assert [s["id"] for s in response.json()["results"]] == [shift.pk]


def test_editing_a_shift_keeps_counters_and_organisation_read_only(
    coordinator, organisation, other_organisation, volunteer
):
    shift = ShiftFactory(organisation=organisation)
    claim_create(volunteer=volunteer, shift_id=shift.pk)
    response = client_for(coordinator).patch(
        f"/api/v1/shifts/{shift.pk}/",
        {"title": "Nieuw", "confirmed_count": 0, "organisation": other_organisation.pk},
        format="json",
    )
    assert response.status_code == 200
    shift.refresh_from_db()
    assert shift.title == "Nieuw"
    assert shift.confirmed_count == 1
    assert shift.organisation == organisation


def test_moving_a_shift_keeps_its_claims_and_records_the_change(
    coordinator, organisation, volunteer
):
    shift = ShiftFactory(organisation=organisation)
    claim = claim_create(volunteer=volunteer, shift_id=shift.pk).claim
    new_start = shift.starts_at + dt.timedelta(hours=3)
    response = client_for(coordinator).patch(
        f"/api/v1/shifts/{shift.pk}/",
        {
            "starts_at": new_start.isoformat(),
            "ends_at": (new_start + dt.timedelta(hours=2)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 200
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CONFIRMED
    change = ShiftChange.objects.get(shift=shift)
    assert change.time_changed and change.new_starts_at == new_start


def test_capacity_below_confirmed_is_refused(coordinator, organisation, make_volunteer):
    shift = ShiftFactory(organisation=organisation, capacity=3)
    for _ in range(2):
        claim_create(volunteer=make_volunteer(), shift_id=shift.pk)
    response = client_for(coordinator).patch(
        f"/api/v1/shifts/{shift.pk}/", {"capacity": 1}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "capacity_below_confirmed"


def test_cancelling_a_shift_ends_its_claims(coordinator, organisation, volunteer):
    shift = ShiftFactory(organisation=organisation)
    claim = claim_create(volunteer=volunteer, shift_id=shift.pk).claim
    assert client_for(coordinator).delete(f"/api/v1/shifts/{shift.pk}/").status_code == 204
    claim.refresh_from_db()
    shift.refresh_from_db()
    assert shift.status == ShiftStatus.CANCELLED
    assert claim.status == ClaimStatus.CANCELLED and claim.cancelled_by_shift
    assert client_for(volunteer).delete(f"/api/v1/shifts/{shift.pk}/").status_code == 403


def test_the_meeting_link_is_only_shown_to_confirmed_volunteers_and_coordinators(
    organisation, coordinator, make_volunteer
):
    shift = ShiftFactory(
        organisation=organisation,
        mode=ShiftMode.ONLINE,
        address="",
        meeting_link="https://meet.example.org/buddy",
        capacity=1,
    )
    confirmed, waiting, browsing = make_volunteer(), make_volunteer(), make_volunteer()
    claim_create(volunteer=confirmed, shift_id=shift.pk)
    claim_create(volunteer=waiting, shift_id=shift.pk)

    def link(user):
        return client_for(user).get(f"/api/v1/shifts/{shift.pk}/").json()["meeting_link"]

    assert link(confirmed) == "https://meet.example.org/buddy"
    assert link(coordinator) == "https://meet.example.org/buddy"
    assert link(waiting) is None
    assert link(browsing) is None
    listed = client_for(browsing).get("/api/v1/shifts/").json()["results"][0]
    assert listed["meeting_link"] is None


def test_filters_select_the_right_shifts(organisation, volunteer):
    qualification = QualificationFactory(organisation=organisation)
    soon = ShiftFactory(organisation=organisation, title="soon")
    later = ShiftFactory(
        organisation=organisation,
        title="later online",
        mode=ShiftMode.ONLINE,
        meeting_link="https://meet.example.org/x",
        starts_at=soon.starts_at + dt.timedelta(days=3),
        ends_at=soon.ends_at + dt.timedelta(days=3),
    )
    full = ShiftFactory(
        organisation=organisation,
        title="full",
        capacity=1,
        starts_at=soon.starts_at + dt.timedelta(days=1),
        ends_at=soon.ends_at + dt.timedelta(days=1),
    )
    full.required_qualifications.add(qualification)
    Shift.objects.filter(pk=full.pk).update(confirmed_count=1)
    client = client_for(volunteer)

    def titles(query):
        response = client.get(f"/api/v1/shifts/?{query}")
        assert response.status_code == 200, response.json()
        return [s["title"] for s in response.json()["results"]]

    assert titles("") == ["soon", "full", "later online"]
    assert titles("mode=online") == ["later online"]
    assert titles("open=true") == ["soon", "later online"]
    assert titles("open=false") == ["full"]
    assert titles(f"qualification={qualification.pk}") == ["full"]
    assert titles(f"organisation={organisation.pk}&ordering=-starts_at") == [
        "later online",
        "full",
        "soon",
    ]
    window_from = (soon.ends_at + dt.timedelta(hours=1)).isoformat().replace("+", "%2B")
    window_to = (later.starts_at - dt.timedelta(hours=1)).isoformat().replace("+", "%2B")
    assert titles(f"from={window_from}&to={window_to}") == ["full"]


def test_the_shift_list_runs_a_constant_number_of_queries(
    organisation, volunteer, django_assert_num_queries, make_volunteer
):
    qualification = QualificationFactory(organisation=organisation)
    VolunteerQualification.objects.create(user=volunteer, qualification=qualification)
    client = client_for(volunteer)

    def make_shifts(n):
        for _ in range(n):
            shift = ShiftFactory(
                organisation=organisation,
                starts_at=timezone.now() + dt.timedelta(days=2 + Shift.objects.count()),
                ends_at=timezone.now() + dt.timedelta(days=2 + Shift.objects.count(), hours=1),
                capacity=1,
            )
            shift.required_qualifications.add(qualification)
            other = make_volunteer()
            VolunteerQualification.objects.create(user=other, qualification=qualification)
            claim_create(volunteer=other, shift_id=shift.pk)
            claim_create(volunteer=volunteer, shift_id=shift.pk)  # waitlisted

    make_shifts(2)
    # The page (its qualifications, my claims, the organisations I manage included), then the
    # waitlist positions, as I am waitlisted.
    with django_assert_num_queries(2):
        assert len(client.get("/api/v1/shifts/?page_size=2").json()["results"]) == 2
    make_shifts(8)
    with django_assert_num_queries(2):
        results = client.get("/api/v1/shifts/?page_size=10").json()["results"]
    assert len(results) == 10
    assert all(r["my_claim"]["waitlist_position"] == 1 for r in results)
    assert all(r["required_qualifications"] == [qualification.pk] for r in results)


def test_the_claims_lists_run_a_constant_number_of_queries(
    organisation, coordinator, django_assert_num_queries, make_volunteer
):
    shift = ShiftFactory(organisation=organisation, capacity=2)
    for _ in range(3):
        claim_create(volunteer=make_volunteer(), shift_id=shift.pk)
    with django_assert_num_queries(6):
        assert (
            client_for(coordinator).get(f"/api/v1/shifts/{shift.pk}/claims/").json()["count"] == 3
        )
    for _ in range(6):
        claim_create(volunteer=make_volunteer(), shift_id=shift.pk)
    with django_assert_num_queries(6):
        body = client_for(coordinator).get(f"/api/v1/shifts/{shift.pk}/claims/").json()
    assert body["count"] == 9
    assert [c["waitlist_position"] for c in body["results"] if c["status"] == "waitlisted"] == [
        1,
        2,
        3,
        4,
        5,
        6,
        7,
    ]


def test_my_claims_list_runs_a_constant_number_of_queries(
    organisation, volunteer, django_assert_num_queries
):
    def claim_some(n):
        for _ in range(n):
            shift = ShiftFactory(
                organisation=organisation,
                starts_at=timezone.now() + dt.timedelta(days=2 + Claim.objects.count()),
                ends_at=timezone.now() + dt.timedelta(days=2 + Claim.objects.count(), hours=1),
            )
            claim_create(volunteer=volunteer, shift_id=shift.pk)

    claim_some(2)
    client = client_for(volunteer)
    with django_assert_num_queries(2):
        assert client.get("/api/v1/me/claims/").json()["count"] == 2
    claim_some(6)
    with django_assert_num_queries(2):
        assert client.get("/api/v1/me/claims/?upcoming=true").json()["count"] == 8


def test_pagination_pages_through_shifts_in_time_order(organisation, volunteer):
    for day in (3, 1, 5, 2, 4):
        ShiftFactory(
            organisation=organisation,
            title=f"day {day}",
            starts_at=timezone.now() + dt.timedelta(days=day),
            ends_at=timezone.now() + dt.timedelta(days=day, hours=1),
        )
    client = client_for(volunteer)
    page = client.get("/api/v1/shifts/?page_size=2").json()
    titles = [s["title"] for s in page["results"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        titles += [s["title"] for s in page["results"]]
    assert titles == ["day 1", "day 2", "day 3", "day 4", "day 5"]
    newest_first = client.get("/api/v1/shifts/?ordering=-starts_at&page_size=2").json()
    assert [s["title"] for s in newest_first["results"]] == ["day 5", "day 4"]
    assert newest_first["previous"] is None


def test_coordinators_list_members_and_volunteers_do_not(organisation, coordinator, volunteer):
    members = client_for(coordinator).get(f"/api/v1/organisations/{organisation.pk}/members/")
    assert members.status_code == 200
    assert {m["user_id"] for m in members.json()["results"]} == {coordinator.pk, volunteer.pk}
    denied = client_for(volunteer).get(f"/api/v1/organisations/{organisation.pk}/members/")
    assert denied.status_code == 403


def test_outsiders_do_not_learn_about_other_organisations(organisation, outsider):
    client = client_for(outsider)
    for path in ("", "members/", "qualifications/", "invites/"):
        response = client.get(f"/api/v1/organisations/{organisation.pk}/{path}")
        assert response.status_code == 404, path


def test_coordinators_grant_qualifications_to_members_only(
    organisation, coordinator, volunteer, outsider
):
    client = client_for(coordinator)
    created = client.post(
        f"/api/v1/organisations/{organisation.pk}/qualifications/",
        {"name": "EHBO"},
        format="json",
    )
    assert created.status_code == 201
    qid = created.json()["id"]
    holders = f"/api/v1/organisations/{organisation.pk}/qualifications/{qid}/holders/"
    granted = client.post(
        holders, {"user_id": volunteer.pk, "expires_on": "2031-01-01"}, format="json"
    )
    assert granted.status_code == 201
    assert client.post(holders, {"user_id": outsider.pk}, format="json").status_code == 404
    assert [h["user_id"] for h in client.get(holders).json()] == [volunteer.pk]
    assert client.delete(f"{holders}{volunteer.pk}/").status_code == 204
    assert client.get(holders).json() == []
    assert (
        client_for(volunteer).post(holders, {"user_id": volunteer.pk}, format="json").status_code
        == 403
    )


def test_creating_an_organisation_makes_you_its_admin_and_invites_let_others_join(volunteer):
    admin_client = client_for(volunteer)
    created = admin_client.post(
        "/api/v1/organisations/",
        {"name": "Buddywerking Antwerpen", "kind": "volunteer_organisation"},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["my_role"] == "admin"
    org_id = created.json()["id"]
    invite = admin_client.post(
        f"/api/v1/organisations/{org_id}/invites/", {"role": "coordinator"}, format="json"
    )
    assert invite.status_code == 201
    newcomer = MembershipFactory().user
    joined = client_for(newcomer).post(
        "/api/v1/organisations/join/", {"code": invite.json()["code"]}, format="json"
    )
    assert joined.status_code == 200
    assert joined.json()["my_role"] == Role.COORDINATOR
    wrong = client_for(newcomer).post(
        "/api/v1/organisations/join/", {"code": "nope"}, format="json"
    )
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "invalid_invite_code"
    listed = client_for(newcomer).get("/api/v1/organisations/").json()["results"]
    assert {o["id"] for o in listed} >= {org_id}


def test_only_admins_change_roles_and_an_admin_may_grant_admin(
    organisation, coordinator, volunteer
):
    membership = volunteer.memberships.get()
    path = f"/api/v1/organisations/{organisation.pk}/members/{membership.pk}/"
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    for role in ("coordinator", "admin"):
        refused = client_for(coordinator).patch(path, {"role": role}, format="json")
        assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    granted = client_for(admin).patch(path, {"role": "admin"}, format="json")
    assert granted.status_code == 200 and granted.json()["role"] == "admin"

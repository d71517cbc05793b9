"""The Django admin works for staff (support tasks) and only for staff."""

import datetime as dt
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from backend.notifications.models import Kind, Notification
from backend.shifts.models import Claim, ClaimStatus, Shift, ShiftChange, ShiftStatus
from backend.shifts.services import claim_create
from tests.factories import QualificationFactory, ShiftFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client


def test_every_admin_page_opens_for_staff(staff_client, organisation, volunteer):
    shift = ShiftFactory(organisation=organisation)
    claim_create(volunteer=volunteer, shift_id=shift.pk)
    QualificationFactory(organisation=organisation)
    for model in admin.site._registry:
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert staff_client.get(changelist).status_code == 200, changelist
        add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        assert staff_client.get(add).status_code in (200, 403), add
        first = model.objects.first()
        if first is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            assert staff_client.get(change).status_code == 200, change


def test_staff_can_search_users_by_email(staff_client, volunteer):
    response = staff_client.get(reverse("admin:accounts_user_changelist"), {"q": volunteer.email})
    assert volunteer.email in response.content.decode()


def test_the_admin_is_closed_to_volunteers(client, volunteer):
    client.force_login(volunteer)
    response = client.get(reverse("admin:shifts_shift_changelist"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_roles_are_not_edited_in_the_admin_past_the_role_history(
    staff_client, organisation, volunteer
):
    page = staff_client.get(
        reverse("admin:organisations_organisation_change", args=[organisation.pk])
    ).content.decode()
    assert "memberships-0-role" not in page
    assert volunteer.email in page


class _FormFields(HTMLParser):
    """The values a browser would post from the admin's change form."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.data.setdefault(name, []).append(a.get("value") or "on")
            else:
                self.data.setdefault(name, []).append(a.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea][0] += (
                data.lstrip("\n") if not self.data[self._textarea][0] else data
            )


def form_of(client, url: str) -> dict[str, list[str]]:
    parser = _FormFields()
    parser.feed(client.get(url).content.decode())
    return parser.data


def test_a_shift_moved_in_the_admin_goes_through_the_services(
    staff_client, organisation, volunteer
):
    shift = ShiftFactory(organisation=organisation)
    claim_create(volunteer=volunteer, shift_id=shift.pk)
    url = reverse("admin:shifts_shift_change", args=[shift.pk])
    data = form_of(staff_client, url)
    data["starts_at_1"] = ["15:00:00"]
    data["ends_at_1"] = ["17:00:00"]

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    shift.refresh_from_db()
    assert shift.starts_at.astimezone(ZoneInfo("Europe/Brussels")).hour == 15
    # As through the API: the change is recorded and the volunteer is told.
    [change] = ShiftChange.objects.filter(shift=shift)
    assert set(change.fields) >= {"starts_at", "ends_at"}
    assert Notification.objects.filter(user=volunteer, kind=Kind.SHIFT_CHANGED).exists()
    assert Claim.objects.get(shift=shift).status == ClaimStatus.CONFIRMED


def test_the_admin_refuses_what_the_services_refuse(staff_client, organisation, make_volunteer):
    shift = ShiftFactory(organisation=organisation, capacity=3)
    for _ in range(2):
        claim_create(volunteer=make_volunteer(), shift_id=shift.pk)
    url = reverse("admin:shifts_shift_change", args=[shift.pk])
    data = form_of(staff_client, url)
    data["capacity"] = ["1"]

    response = staff_client.post(url, data)

    assert response.status_code == 200  # the form again, with the service's error
    assert "errorlist" in response.content.decode()
    shift.refresh_from_db()
    assert shift.capacity == 3


def test_claims_are_read_only_in_the_admin(staff_client, organisation, volunteer):
    shift = ShiftFactory(organisation=organisation)
    claim_create(volunteer=volunteer, shift_id=shift.pk)
    data = form_of(staff_client, reverse("admin:shifts_shift_change", args=[shift.pk]))
    editable = {"volunteer", "status", "waitlist_ticket", "DELETE"}
    assert [n for n in data if n.startswith("claims-") and n.split("-")[-1] in editable] == []
    assert "confirmed_count" not in data and "status" not in data


def test_shifts_are_published_and_cancelled_with_admin_actions(
    staff_client, organisation, volunteer
):
    draft = ShiftFactory(organisation=organisation, status=ShiftStatus.DRAFT)
    running = ShiftFactory(organisation=organisation)
    claim = claim_create(volunteer=volunteer, shift_id=running.pk).claim
    url = reverse("admin:shifts_shift_changelist")

    staff_client.post(url, {"action": "publish_shifts", "_selected_action": [draft.pk]})
    staff_client.post(url, {"action": "cancel_shifts", "_selected_action": [running.pk]})

    draft.refresh_from_db()
    running.refresh_from_db()
    claim.refresh_from_db()
    assert draft.status == ShiftStatus.PUBLISHED
    assert running.status == ShiftStatus.CANCELLED
    assert claim.cancelled_by_shift
    assert Notification.objects.filter(user=volunteer, kind=Kind.SHIFT_CANCELLED).exists()


def test_a_shift_added_in_the_admin_is_created_by_the_services(staff_client, organisation):
    url = reverse("admin:shifts_shift_add")
    data = form_of(staff_client, url)
    day = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    data.update(
        organisation=[str(organisation.pk)],
        title=["Voorleesuur"],
        address=["Kerkstraat 1, 9000 Gent"],
        starts_at_0=[day],
        starts_at_1=["10:00:00"],
        ends_at_0=[day],
        ends_at_1=["11:00:00"],
        capacity=["4"],
        status=[ShiftStatus.PUBLISHED],
    )

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    shift = Shift.objects.get(title="Voorleesuur")
    assert (shift.status, shift.capacity, shift.organisation) == (
        ShiftStatus.PUBLISHED,
        4,
        organisation,
    )
    assert shift.created_by is not None and shift.created_by.is_staff

    data.update(title=["Te laat"], starts_at_0=["2020-01-01"], ends_at_0=["2020-01-01"])
    refused = staff_client.post(url, data)
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    assert not Shift.objects.filter(title="Te laat").exists()


def test_staff_correct_a_years_allowance_caps_and_the_change_is_recorded(staff_client):
    from decimal import Decimal

    from backend.allowances.models import AllowanceCap
    from tests.factories import ensure_allowance_caps

    ensure_allowance_caps()
    cap = AllowanceCap.objects.get(year=2026)
    url = reverse("admin:allowances_allowancecap_change", args=[cap.pk])
    answer = staff_client.post(
        url,
        {
            "daily": "44.03",
            "yearly": str(cap.yearly),
            "higher_yearly": str(cap.higher_yearly),
            "transport_km": "2000",
            "source": cap.source,
            "changes-TOTAL_FORMS": "0",
            "changes-INITIAL_FORMS": "0",
            "changes-MIN_NUM_FORMS": "0",
            "changes-MAX_NUM_FORMS": "1000",
        },
    )
    assert answer.status_code == 302, answer.content[:2000]
    cap.refresh_from_db()
    assert cap.daily == Decimal("44.03")
    [change] = cap.changes.all()
    assert (change.field, change.old_value, change.new_value) == ("daily", "44.02", "44.03")

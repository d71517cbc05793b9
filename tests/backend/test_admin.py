"""The Django admin works for staff (support tasks) and only for staff."""

import pytest
from django.contrib import admin
from django.urls import reverse

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

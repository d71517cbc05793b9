"""The organisation's settings page (admins): name, time zone and no-show limit."""

from __future__ import annotations

import pytest
from django.test import Client

from backend.accounts.models import User, VolunteerProfile
from backend.core.errors import ValidationFailed
from backend.organisations.models import Organisation, Role
from backend.organisations.services import organisation_update
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

VALID = {
    "name": "WZC De Linde Gent",
    "time_zone": "Europe/Paris",
    "no_show_limit": "4",
    "stand_in_deadline_hours": "48",
}


@pytest.fixture
def admin(organisation: Organisation) -> User:
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


def client_for(user: User | None, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf, HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def settings_url(organisation: Organisation) -> str:
    return f"/board/{organisation.slug}/settings/"


def unchanged(organisation: Organisation) -> bool:
    organisation.refresh_from_db()
    return (organisation.name, organisation.time_zone, organisation.no_show_limit) == (
        "WZC De Linde",
        "Europe/Brussels",
        2,
    )


def test_an_admin_changes_the_name_time_zone_and_no_show_limit(
    organisation: Organisation, admin: User
) -> None:
    client = client_for(admin)

    page = client.get(settings_url(organisation)).content.decode()
    response = client.post(settings_url(organisation), VALID, follow=True)

    assert 'value="WZC De Linde"' in page
    # Europe/Brussels is the first zone offered, and selected.
    first = page.index('<option value="Europe/Brussels" selected>')
    assert first < page.index('<option value="Africa/')
    organisation.refresh_from_db()
    assert (organisation.name, organisation.time_zone, organisation.no_show_limit) == (
        "WZC De Linde Gent",
        "Europe/Paris",
        4,
    )
    assert 'name="stand_in_deadline_hours" value="72"' in page
    assert organisation.stand_in_deadline_hours == 48
    assert "The settings are saved." in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "   ", "This field may not be blank."),
        ("name", "x" * 201, "Use at most 200 characters."),
        ("no_show_limit", "0", "Give a number from 1 to 20."),
        ("no_show_limit", "21", "Give a number from 1 to 20."),
        ("no_show_limit", "many", "Enter a whole number."),
        ("stand_in_deadline_hours", "400", "Give a number of hours from 0 to 336."),
        ("time_zone", "Mars/Olympus", "Select a valid choice."),
    ],
)
def test_an_invalid_setting_is_shown_next_to_its_field_and_nothing_changes(
    organisation: Organisation, admin: User, field: str, value: str, message: str
) -> None:
    response = client_for(admin).post(settings_url(organisation), {**VALID, field: value})

    assert response.status_code == 400
    html = response.content.decode()
    assert f'<ul class="errorlist" id="id_{field}_error"><li>{message}' in html
    assert f'aria-describedby="id_{field}_helptext id_{field}_error"' in html or (
        f'aria-describedby="id_{field}_error"' in html
    )
    assert unchanged(organisation)


def test_the_service_reports_every_invalid_field_at_once(
    organisation: Organisation, admin: User
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        organisation_update(
            actor=admin,
            organisation_id=organisation.pk,
            name="",
            time_zone="Nowhere/Town",
            no_show_limit=30,
        )

    assert set(refused.value.fields) == {"name", "time_zone", "no_show_limit"}
    assert unchanged(organisation)


def test_only_admins_see_and_change_the_settings(
    organisation: Organisation, coordinator: User, volunteer: User, outsider: User
) -> None:
    for user in (coordinator, volunteer, outsider):
        client = client_for(user)
        assert client.get(settings_url(organisation)).status_code == 403
        assert client.post(settings_url(organisation), VALID).status_code == 403
    assert client_for(None).get(settings_url(organisation)).status_code == 302
    board = client_for(coordinator).get(f"/board/{organisation.slug}/").content.decode()

    assert settings_url(organisation) not in board
    assert unchanged(organisation)


def test_a_coordinator_is_told_the_settings_are_for_the_admins_and_who_they_are(
    organisation: Organisation, coordinator: User, admin: User, outsider: User
) -> None:
    VolunteerProfile.objects.filter(user=admin).update(display_name="Hilde Peeters")

    as_coordinator = client_for(coordinator).get(
        settings_url(organisation), HTTP_ACCEPT_LANGUAGE="en"
    )
    as_outsider = client_for(outsider).get(settings_url(organisation), HTTP_ACCEPT_LANGUAGE="en")

    assert as_coordinator.status_code == as_outsider.status_code == 403
    assert (
        f"Only the admins of {organisation.name} can open this page. Its admins: Hilde Peeters."
        in as_coordinator.content.decode()
    )
    # An outsider learns nothing about the organisation's people.
    assert "Hilde Peeters" not in as_outsider.content.decode()
    assert "do not coordinate" in as_outsider.content.decode()


def test_the_settings_form_needs_the_csrf_token(organisation: Organisation, admin: User) -> None:
    response = client_for(admin, csrf=True).post(settings_url(organisation), VALID)

    assert response.status_code == 403
    assert unchanged(organisation)

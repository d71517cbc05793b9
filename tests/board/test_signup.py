"""Coordinator sign-up in the browser: an account and an organisation they administer, errors
next to the fields, a limit per client address, CSRF; and another organisation for someone
logged in."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.test import Client

from backend.accounts.models import User
from backend.core.errors import ValidationFailed
from backend.lifecycle.signup import coordinator_sign_up
from backend.organisations.models import Membership, Organisation, OrganisationKind, Role

pytestmark = pytest.mark.django_db

PASSWORD = "Zorg-met-hart-2026"
FORM = {
    "display_name": "Griet Van Damme",
    "email": "griet@buurtzorg.example",
    "password": PASSWORD,
    "organisation_name": "Buurtzorg Gent",
    "time_zone": "Europe/Brussels",
    "kind": OrganisationKind.CARE_FACILITY,
}


def sign_up(client: Client | None = None, address: str = "127.0.0.1", **changes: str) -> Any:
    client = client or Client(HTTP_ACCEPT_LANGUAGE="en")
    return client.post("/accounts/signup/", {**FORM, **changes}, REMOTE_ADDR=address)


def test_the_form_asks_for_the_person_and_the_organisation() -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/accounts/signup/")

    assert response.status_code == 200
    html = response.content.decode()
    for label in ("Your name", "E-mail address", "Password", "Name of the organisation"):
        assert f">{label}</label>" in html
    assert '<option value="Europe/Brussels" selected>' in html
    assert "Care facility" in html and "Autonomous volunteer organisation" in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_signing_up_makes_the_account_and_the_organisation_they_administer() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")

    response = sign_up(client)

    organisation = Organisation.objects.get(name="Buurtzorg Gent")
    assert response.status_code == 302
    assert response["Location"] == f"/board/{organisation.slug}/"
    assert organisation.time_zone == "Europe/Brussels"
    assert organisation.kind == OrganisationKind.CARE_FACILITY
    user = User.objects.get(email="griet@buurtzorg.example")
    assert user.profile.display_name == "Griet Van Damme"
    assert user.profile.language == "fr"  # the language the page was in
    assert Membership.objects.get(user=user, organisation=organisation).role == Role.ADMIN
    assert authenticate(email=user.email, password=PASSWORD) == user

    board = client.get(response["Location"])  # logged in: the board opens
    assert board.status_code == 200
    html = board.content.decode()
    assert (
        "Bienvenue sur Inzet ! L\u2019organisation Buurtzorg Gent est prête. Planifiez le "
        "premier créneau avec « Nouveau créneau », invitez bénévoles et coordinateurs sous "
        "« Invitations » et vérifiez les règles sous « Paramètres »."
    ) in html


def test_errors_are_shown_next_to_their_fields_and_nothing_is_made() -> None:
    response = sign_up(password="12345678", email="not an address", organisation_name="")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Please correct the fields marked below." in html
    # All at once: the password validators speak although other fields are wrong too.
    for field in ("email", "password", "organisation_name"):
        assert f'<ul class="errorlist" id="id_{field}_error">' in html
        assert 'aria-invalid="true"' in html
    assert not User.objects.exists()
    assert not Organisation.objects.exists()
    # The typed values stay (but not the password).
    assert 'value="Griet Van Damme"' in html
    assert "12345678" not in html


def test_the_password_validators_speak_next_to_the_password() -> None:
    response = sign_up(password="12345678")

    html = response.content.decode()
    assert '<ul class="errorlist" id="id_password_error">' in html
    assert "This password is too common." in html
    assert 'aria-describedby="id_password_helptext id_password_error"' in html
    assert not User.objects.exists()


def test_a_taken_e_mail_address_is_refused_next_to_the_field(coordinator: User) -> None:
    response = sign_up(email=coordinator.email)

    html = response.content.decode()
    assert '<ul class="errorlist" id="id_email_error">' in html
    assert "An account with this e-mail address already exists." in html
    assert not Organisation.objects.filter(name="Buurtzorg Gent").exists()


def test_an_organisation_the_service_refuses_leaves_no_account_behind() -> None:
    with pytest.raises(ValidationFailed) as refused:
        coordinator_sign_up(
            email="griet@buurtzorg.example",
            password=PASSWORD,
            display_name="Griet",
            organisation_name="Buurtzorg Gent",
            time_zone="Mars/Olympus_Mons",
        )

    assert "time_zone" in refused.value.fields
    assert not User.objects.filter(email="griet@buurtzorg.example").exists()


def test_sign_ups_are_limited_per_client_address(settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signup_address": "3/hour"}
    with time_machine.travel(dt.datetime(2026, 5, 4, 9, 5, tzinfo=dt.UTC), tick=False):
        for _ in range(3):
            assert sign_up(password="short").status_code == 200

        response = sign_up()  # a valid one, but over the limit

    assert response.status_code == 429
    assert "Too many attempts. Try again in" in response.content.decode()
    assert response["Retry-After"] == str(55 * 60)  # the rest of the hour
    assert not User.objects.exists()
    # Another address is not affected.
    assert sign_up(address="10.0.0.7").status_code == 302


def test_the_form_needs_its_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")

    response = client.post("/accounts/signup/", FORM)

    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()  # the styled page
    assert not User.objects.exists()


def test_someone_logged_in_is_sent_to_start_another_organisation(coordinator: User) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(coordinator)

    assert client.get("/accounts/signup/")["Location"] == "/organisations/new/"
    response = client.post(
        "/organisations/new/",
        {
            "organisation_name": "Tweede huis",
            "time_zone": "Europe/Amsterdam",
            "kind": "care_facility",
        },
    )

    organisation = Organisation.objects.get(name="Tweede huis")
    assert response["Location"] == f"/board/{organisation.slug}/"
    assert organisation.time_zone == "Europe/Amsterdam"
    assert Membership.objects.get(user=coordinator, organisation=organisation).role == Role.ADMIN
    assert "Welcome to Inzet!" in client.get(response["Location"]).content.decode()


def test_a_new_organisation_needs_a_name(coordinator: User) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(coordinator)

    response = client.post(
        "/organisations/new/",
        {"organisation_name": " ", "time_zone": "Europe/Brussels", "kind": "care_facility"},
    )

    assert response.status_code == 200
    assert '<ul class="errorlist" id="id_organisation_name_error">' in response.content.decode()
    assert Organisation.objects.count() == 1  # the coordinator's own


def test_starting_an_organisation_needs_a_log_in() -> None:
    response = Client().get("/organisations/new/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")

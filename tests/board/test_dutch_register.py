"""Inzet speaks to people with the informal Dutch "je" everywhere, also in the texts that come
from Django itself (the password rules on the sign-up page)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_sign_up_page_says_je_not_u_in_dutch() -> None:
    html = Client().get("/accounts/signup/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    assert "Je wachtwoord mag niet volledig uit cijfers bestaan." in html
    assert "Uw wachtwoord" not in html


def test_a_too_short_password_is_refused_in_dutch() -> None:
    response = Client().post(
        "/accounts/signup/",
        {"display_name": "Griet", "email": "griet@example.org", "password": "12345"},
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    html = response.content.decode()

    assert "Dit wachtwoord is te kort." in html
    assert "too short" not in html

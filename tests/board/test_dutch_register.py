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

"""A forgotten password and a new e-mail address: links sent by e-mail through a real SMTP
conversation (a local server), followed on the board's pages or through the API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from backend.accounts.mail import mails_send_due
from backend.accounts.models import OutgoingMail, User
from backend.config.settings import email_settings
from tests.conftest import client_for
from tests.factories import PASSWORD, UserFactory
from tests.fake_smtp import FakeSMTP, fake_smtp
from tests.schema_check import CheckedAPIClient

pytestmark = pytest.mark.django_db

RESET = "/api/v1/auth/password-reset/"
CONFIRM = "/api/v1/auth/password-reset/confirm/"
NEW_PASSWORD = "een-nieuw-wachtwoord-2026"


@pytest.fixture
def smtp(settings: Any) -> Iterator[FakeSMTP]:
    with fake_smtp() as server:
        for name, value in email_settings(f"smtp://{server.host}:{server.port}").items():
            setattr(settings, name, value)
        settings.DEFAULT_FROM_EMAIL = "Inzet <no-reply@inzet.example>"
        yield server


def link_in(body: str) -> str:
    match = re.search(r"http://testserver(/accounts/\S+/)", body)
    assert match, body
    return match.group(1)


def log_in(email: str, password: str) -> int:
    body = {"email": email, "password": password}
    return CheckedAPIClient().post("/api/v1/auth/token/", body, format="json").status_code


def test_a_forgotten_password_is_reset_through_the_mailed_link(
    smtp: FakeSMTP, volunteer: User
) -> None:
    volunteer.profile.language = "fr"
    volunteer.profile.save()
    refresh = CheckedAPIClient().post(
        "/api/v1/auth/token/", {"email": volunteer.email, "password": PASSWORD}, format="json"
    )

    asked = CheckedAPIClient().post(RESET, {"email": volunteer.email.upper()}, format="json")
    assert asked.status_code == 202
    assert smtp.messages == []  # the request only queued it: the worker sends
    assert mails_send_due() == 1

    [mail] = smtp.messages
    assert mail["To"] == volunteer.email and "no-reply@inzet.example" in mail["From"]
    assert mail["Subject"] == "Choisissez un nouveau mot de passe pour Inzet"
    link = link_in(smtp.bodies()[0])
    assert OutgoingMail.objects.get().body == ""  # the key in it is forgotten once sent

    page = Client()
    form = page.get(link, follow=True)
    assert form.status_code == 200 and b"new_password1" in form.content
    done = page.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == "/accounts/reset/done/"

    assert log_in(volunteer.email, PASSWORD) == 401
    assert log_in(volunteer.email, NEW_PASSWORD) == 200
    # Every session from before has ended, and the link works once.
    old = CheckedAPIClient().post(
        "/api/v1/auth/token/refresh/", {"refresh": refresh.json()["refresh"]}, format="json"
    )
    assert old.status_code == 401
    again = Client().get(link, follow=True)
    assert b"new_password1" not in again.content


def test_the_answer_does_not_tell_whether_an_account_exists(
    smtp: FakeSMTP, volunteer: User
) -> None:
    known = CheckedAPIClient().post(RESET, {"email": volunteer.email}, format="json")
    unknown = CheckedAPIClient().post(RESET, {"email": "nobody@example.org"}, format="json")

    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    mails_send_due()
    assert [envelope[1] for envelope in smtp.envelopes] == [[volunteer.email]]


def test_an_app_sets_the_new_password_with_the_links_uid_and_token(
    smtp: FakeSMTP, volunteer: User
) -> None:
    CheckedAPIClient().post(RESET, {"email": volunteer.email}, format="json")
    mails_send_due()
    _, _, uid, token, _ = link_in(smtp.bodies()[0]).rsplit("/", 4)
    api = CheckedAPIClient()

    weak = api.post(CONFIRM, {"uid": uid, "token": token, "new_password": "123"}, format="json")
    assert weak.status_code == 400 and "new_password" in weak.json()["fields"]
    body = {"uid": uid, "token": token, "new_password": NEW_PASSWORD}
    assert api.post(CONFIRM, body, format="json").status_code == 204
    used = api.post(CONFIRM, {**body, "new_password": "nog-een-ander-2026"}, format="json")
    assert (used.status_code, used.json()["code"]) == (400, "invalid_link")
    forged = api.post(CONFIRM, {**body, "uid": "!!"}, format="json")
    assert (forged.status_code, forged.json()["code"]) == (400, "invalid_link")
    assert log_in(volunteer.email, NEW_PASSWORD) == 200


def test_reset_mails_are_limited_per_address_asked(
    smtp: FakeSMTP, volunteer: User, settings: Any
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password_reset_account": "2/hour"}
    for n in range(2):
        api = CheckedAPIClient(REMOTE_ADDR=f"10.4.0.{n}")
        assert api.post(RESET, {"email": volunteer.email}, format="json").status_code == 202

    refused = CheckedAPIClient(REMOTE_ADDR="10.4.0.9").post(
        RESET, {"email": volunteer.email}, format="json"
    )
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert OutgoingMail.objects.count() == 2


def test_a_mail_server_that_refuses_delays_the_mail_but_loses_nothing(
    smtp: FakeSMTP, volunteer: User
) -> None:
    smtp.refuse = True
    CheckedAPIClient().post(RESET, {"email": volunteer.email}, format="json")

    assert mails_send_due() == 1
    mail = OutgoingMail.objects.get()
    assert mail.sent_at is None and mail.attempts == 1 and "451" in mail.last_error
    assert mails_send_due() == 0  # not due again until its back-off has passed

    smtp.refuse = False
    assert mails_send_due(now=mail.next_attempt_at) == 1
    assert len(smtp.messages) == 1 and OutgoingMail.objects.get().sent_at is not None


def test_the_board_page_asks_for_a_reset_link(smtp: FakeSMTP, volunteer: User) -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="en")
    login = page.get("/accounts/login/")
    assert b'href="/accounts/password-reset/"' in login.content

    sent = page.post("/accounts/password-reset/", {"email": volunteer.email})
    assert sent.status_code == 200 and b"is on its way" in sent.content
    mails_send_due()
    assert len(smtp.messages) == 1


def test_a_new_email_address_is_taken_once_confirmed_from_its_mailbox(
    smtp: FakeSMTP, volunteer: User
) -> None:
    app = client_for(volunteer)
    old = volunteer.email

    wrong = app.post(
        "/api/v1/me/email/", {"email": "nieuw@example.org", "password": "x"}, format="json"
    )
    assert (wrong.status_code, wrong.json()["code"]) == (403, "wrong_password")
    taken = app.post(
        "/api/v1/me/email/", {"email": UserFactory().email, "password": PASSWORD}, format="json"
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "email_taken")
    asked = app.post(
        "/api/v1/me/email/", {"email": "Nieuw@Example.org", "password": PASSWORD}, format="json"
    )
    assert asked.status_code == 202
    mails_send_due()
    [envelope] = smtp.envelopes
    assert envelope[1] == ["nieuw@example.org"]
    link = link_in(smtp.bodies()[0])

    # Following the link shows a button; a mail scanner's GET changes nothing.
    page = Client()
    assert page.get(link).status_code == 200
    assert User.objects.get(pk=volunteer.pk).email == old
    confirmed = page.post(link)
    assert confirmed.status_code == 200 and b"nieuw@example.org" in confirmed.content
    assert User.objects.get(pk=volunteer.pk).email == "nieuw@example.org"
    assert log_in("nieuw@example.org", PASSWORD) == 200

    # The old address is told; the link is spent.
    mails_send_due()
    assert smtp.envelopes[-1][1] == [old]
    assert "nieuw@example.org" in smtp.bodies()[-1]
    assert page.post(link).status_code == 400


def test_an_app_confirms_the_new_address_with_the_token(smtp: FakeSMTP, volunteer: User) -> None:
    client_for(volunteer).post(
        "/api/v1/me/email/", {"email": "app@example.org", "password": PASSWORD}, format="json"
    )
    mails_send_due()
    token = link_in(smtp.bodies()[0]).rstrip("/").rsplit("/", 1)[1]
    api = CheckedAPIClient()

    confirmed = api.post("/api/v1/auth/email/confirm/", {"token": token}, format="json")
    assert confirmed.status_code == 200 and confirmed.json()["email"] == "app@example.org"
    again = api.post("/api/v1/auth/email/confirm/", {"token": token}, format="json")
    assert (again.status_code, again.json()["code"]) == (400, "invalid_link")
    tampered = api.post("/api/v1/auth/email/confirm/", {"token": token + "x"}, format="json")
    assert (tampered.status_code, tampered.json()["code"]) == (400, "invalid_link")


def test_email_url_settings() -> None:
    assert email_settings("")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    tls = email_settings("smtp://user%40x:p%2Fw@mail.example:587")
    assert (tls["EMAIL_HOST"], tls["EMAIL_PORT"], tls["EMAIL_USE_TLS"]) == (
        "mail.example",
        587,
        True,
    )
    assert (tls["EMAIL_HOST_USER"], tls["EMAIL_HOST_PASSWORD"]) == ("user@x", "p/w")
    ssl = email_settings("smtps://mail.example")
    assert (ssl["EMAIL_PORT"], ssl["EMAIL_USE_SSL"], ssl["EMAIL_USE_TLS"]) == (465, True, False)
    with pytest.raises(Exception, match="EMAIL_URL"):
        email_settings("http://mail.example")

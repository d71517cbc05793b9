"""The landing page: what Inzet is for a visitor; for someone logged in their boards, their
upcoming shifts with where to go, and the way to the Telegram bot. And the board index for
someone without a board."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from backend.accounts.models import User, VolunteerProfile
from backend.organisations.models import Organisation
from backend.shifts.models import Claim, ClaimStatus, Shift, ShiftMode
from backend.shifts.services import claim_cancel, claim_create
from backend.telegram.models import LinkCode
from tests.factories import UserFactory, shift_at

pytestmark = pytest.mark.django_db


def client_for(user: User | None, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def page(client: Client, url: str = "/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def local_time(shift: Shift) -> str:
    return shift.starts_at.astimezone(ZoneInfo(shift.organisation.time_zone)).strftime("%H:%M")


def test_a_visitor_learns_what_inzet_is_and_can_log_in_or_sign_up() -> None:
    html = page(client_for(None))

    assert "Volunteer coordination for care organisations" in html
    for feature in (
        "Short shifts",
        "A Telegram bot for volunteers",
        "A live board for coordinators",
        "An API for apps",
    ):
        assert feature in html
    for link in ("/accounts/signup/", "/accounts/login/", "/board/", "/api/docs/"):
        assert f'href="{link}"' in html
    assert 'href="/admin/"' not in html


def test_the_landing_page_is_in_dutch_by_default() -> None:
    html = page(Client())

    assert 'lang="nl"' in html
    assert "Vrijwilligerswerk coördineren voor zorgorganisaties" in html


def test_a_volunteer_sees_their_upcoming_shifts_in_the_organisations_time_and_where_to_go(
    organisation: Organisation, volunteer: User, make_volunteer: Any
) -> None:
    organisation.time_zone = "America/New_York"
    organisation.save()
    confirmed = shift_at(
        organisation, starts_in=dt.timedelta(days=2), title="Wandeling in het park"
    )
    full = shift_at(
        organisation,
        starts_in=dt.timedelta(days=3),
        title="Voorleesuurtje",
        capacity=1,
        mode=ShiftMode.ONLINE,
        address="",
        meeting_link="https://meet.example.org/voorlezen",
    )
    cancelled = shift_at(organisation, starts_in=dt.timedelta(days=4), title="Afgezegde markt")
    claim_create(volunteer=make_volunteer(), shift_id=full.pk)
    claim_create(volunteer=volunteer, shift_id=confirmed.pk)
    claim_create(volunteer=volunteer, shift_id=full.pk)  # on the waitlist
    mine = claim_create(volunteer=volunteer, shift_id=cancelled.pk).claim
    claim_cancel(actor=volunteer, claim_id=mine.pk)

    html = page(client_for(volunteer))

    assert "Your upcoming shifts" in html
    assert html.index("Wandeling in het park") < html.index("Voorleesuurtje")
    assert local_time(confirmed) in html and local_time(full) in html
    assert organisation.name in html
    assert "Confirmed" in html
    assert "On the waitlist, number 1" in html
    # Where to go: the address of the confirmed shift; the waitlist learns no meeting link.
    assert confirmed.address in html
    assert "meet.example.org" not in html
    assert "Afgezegde markt" not in html
    assert "/board/de-linde/" not in html  # a volunteer has no board


def test_past_shifts_are_not_upcoming(organisation: Organisation, volunteer: User) -> None:
    past = shift_at(organisation, starts_in=dt.timedelta(days=-3), title="Vorige week")
    Claim.objects.create(shift=past, volunteer=volunteer, status=ClaimStatus.CONFIRMED)

    html = page(client_for(volunteer))

    assert "Vorige week" not in html
    assert "You have no upcoming shifts" in html


def test_a_volunteer_without_telegram_gets_a_link_code_for_the_bot(
    volunteer: User, settings: Any
) -> None:
    settings.TELEGRAM_BOT_USERNAME = "inzet_demo_bot"
    client = client_for(volunteer)
    assert "Get a link code" in page(client)
    assert not LinkCode.objects.exists()

    response = client.post("/accounts/telegram-code/")

    assert response.status_code == 302
    assert response["Location"] == "/#telegram"
    code = LinkCode.objects.get(user=volunteer).code
    html = page(client)
    assert f"/link {code}" in html
    assert f'href="https://t.me/inzet_demo_bot?start=link-{code}"' in html
    assert "Get a link code" not in html


def test_a_linked_volunteer_is_told_so_and_gets_no_code(volunteer: User, settings: Any) -> None:
    settings.TELEGRAM_BOT_USERNAME = "inzet_demo_bot"
    VolunteerProfile.objects.filter(user=volunteer).update(telegram_chat_id=4242)

    html = page(client_for(volunteer))

    assert "Your account is linked to a Telegram chat" in html
    assert 'href="https://t.me/inzet_demo_bot"' in html
    assert "Get a link code" not in html and "/link " not in html


def test_without_a_bot_username_the_code_still_works_with_the_link_command(
    volunteer: User, settings: Any
) -> None:
    settings.TELEGRAM_BOT_USERNAME = ""
    client = client_for(volunteer)
    client.post("/accounts/telegram-code/")

    html = page(client)

    assert re.search(r"/link [A-Z0-9]{8}", html)
    assert "t.me/" not in html
    assert "Ask your coordinator for the name of the bot" in html


def test_asking_for_a_link_code_needs_a_post_and_a_log_in(volunteer: User) -> None:
    assert client_for(volunteer).get("/accounts/telegram-code/").status_code == 405
    response = client_for(None).post("/accounts/telegram-code/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not LinkCode.objects.exists()


def test_a_coordinator_sees_links_to_their_boards(
    organisation: Organisation, coordinator: User, other_organisation: Organisation
) -> None:
    html = page(client_for(coordinator))

    assert 'href="/board/de-linde/"' in html
    assert "/board/rode-kruis-gent/" not in html
    assert "Your upcoming shifts" not in html  # nothing claimed: no empty list
    assert 'href="/organisations/new/"' in html
    assert 'href="/admin/"' not in html


def test_staff_see_the_admin_link(organisation: Organisation) -> None:
    staff = UserFactory(is_staff=True)

    html = page(client_for(staff))

    assert 'href="/admin/"' in html
    assert 'href="/board/de-linde/"' in html


@pytest.mark.parametrize("claims", [2, 20])
def test_the_landing_page_reads_a_fixed_number_of_rows_whatever_the_shifts(
    claims: int,
    organisation: Organisation,
    volunteer: User,
    django_assert_num_queries: Any,
) -> None:
    for n in range(claims):
        shift = shift_at(organisation, starts_in=dt.timedelta(days=1 + n))
        waiting = n % 2 == 1
        Claim.objects.create(
            shift=shift,
            volunteer=volunteer,
            status=ClaimStatus.WAITLISTED if waiting else ClaimStatus.CONFIRMED,
            waitlist_ticket=1 if waiting else None,
        )
    client = client_for(volunteer)

    # session, user, boards, claims, waitlist positions, profile, link code
    with django_assert_num_queries(7):
        html = page(client)
    assert html.count('class="card upcoming"') == claims


def test_the_board_index_explains_itself_to_someone_without_a_board(volunteer: User) -> None:
    html = page(client_for(volunteer), "/board/")

    assert "You do not coordinate any organisation." in html
    assert "your own shifts and the link to the Telegram bot are on the home page" in html
    assert '<a class="button primary" href="/">Go to the home page</a>' in html
    assert 'href="/organisations/new/"' in html

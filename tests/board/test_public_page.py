"""The organisation's public page /o/<slug>/: on only when its admins switch it on; its public
shifts with the town or "online" and the seats left, never an address, a link or a name; a
Join via Telegram link and QR code; in nl, fr and en; served from the cache without a query."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.test import Client

from backend.accounts.models import User
from backend.organisations.models import Organisation, Role
from backend.organisations.services import organisation_update
from backend.shifts.models import ShiftMode, ShiftStatus, ShiftVisibility
from backend.shifts.selectors import PUBLIC_PAGE_LIMIT, town_of
from backend.shifts.services import claim_create, shift_create
from tests.conftest import client_for
from tests.factories import MembershipFactory, shift_at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()  # the page and its slug are cached per organisation id, which tests reuse


@pytest.fixture
def admin(organisation: Organisation) -> User:
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


@pytest.fixture
def public(organisation: Organisation, admin: User, settings) -> Organisation:  # type: ignore[no-untyped-def]
    settings.TELEGRAM_BOT_USERNAME = "InzetDemoBot"
    return organisation_update(
        actor=admin,
        organisation_id=organisation.pk,
        public_page_enabled=True,
        public_description="Wij zoeken mensen die graag wandelen met onze bewoners.",
    )


def page(slug: str, **query: str) -> str:
    response = Client().get(f"/o/{slug}/", query)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_town_of_a_belgian_address() -> None:
    assert town_of("Kerkstraat 1, 9000 Gent") == "Gent"
    assert town_of("Lindelaan 12, B-9050 Gentbrugge") == "Gentbrugge"
    assert town_of("Rue Haute 5, 1000 Bruxelles") == "Bruxelles"
    assert town_of("bij de cliënt thuis") == ""


def test_a_page_is_off_until_its_admins_switch_it_on(organisation: Organisation) -> None:
    assert Client().get(f"/o/{organisation.slug}/").status_code == 404
    assert Client().get("/o/no-such-organisation/").status_code == 404


def test_it_shows_public_shifts_and_nothing_a_stranger_may_not_see(
    public: Organisation, volunteer: User
) -> None:
    walk = shift_at(
        public,
        title="Wandeling in het park",
        visibility=ShiftVisibility.PUBLIC,
        address="Kerkstraat 1, 9000 Gent",
        capacity=3,
    )
    shift_at(
        public,
        title="Telefonische babbel",
        visibility=ShiftVisibility.PUBLIC,
        mode=ShiftMode.ONLINE,
        address="",
        meeting_link="https://meet.example.org/geheim",
        starts_in=dt.timedelta(days=3),
    )
    shift_at(public, title="Alleen voor leden", visibility=ShiftVisibility.MEMBERS)
    shift_at(public, title="Nog een ontwerp", visibility="public", status=ShiftStatus.DRAFT)
    shift_at(public, title="Al begonnen", visibility="public", starts_in=-dt.timedelta(minutes=10))
    volunteer.profile.display_name = "Greta Geheim"
    volunteer.profile.save()
    claim_create(volunteer=volunteer, shift_id=walk.pk)

    html = page(public.slug, lang="nl")
    assert "Wandeling in het park" in html and "Telefonische babbel" in html
    assert "Gent" in html and "Kerkstraat" not in html
    assert "meet.example.org" not in html and "Greta" not in html
    assert "Alleen voor leden" not in html and "ontwerp" not in html and "begonnen" not in html
    assert re.search(r"2\s+[a-z ]+", html)  # 2 places left on the walk
    assert "Wij zoeken mensen" in html
    assert "https://t.me/InzetDemoBot?start=" + public.public_invite.code in html
    assert 'role="img"' in html  # the QR code


def test_in_three_languages(public: Organisation) -> None:
    shift_at(public, visibility=ShiftVisibility.PUBLIC)
    assert 'lang="fr"' in page(public.slug, lang="fr")
    assert 'lang="en"' in page(public.slug, lang="en")
    response = Client().get(f"/o/{public.slug}/", HTTP_ACCEPT_LANGUAGE="fr-BE,fr;q=0.9")
    assert response["Content-Language"] == "fr"


def test_a_second_view_costs_no_query_and_a_new_public_shift_shows_at_once(
    public: Organisation, admin: User, django_assert_num_queries, django_capture_on_commit_callbacks
) -> None:
    shift_at(public, title="Eerste", visibility=ShiftVisibility.PUBLIC)
    page(public.slug, lang="nl")
    with django_assert_num_queries(0):
        assert "Eerste" in page(public.slug, lang="nl")
    starts = shift_at(public).starts_at + dt.timedelta(days=5)
    with django_capture_on_commit_callbacks(execute=True):  # the commit the request makes
        shift_create(
            actor=admin,
            organisation=public,
            title="Tweede",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            capacity=2,
            address="Markt 1, 9000 Gent",
            visibility=ShiftVisibility.PUBLIC,
            publish=True,
        )
    assert "Tweede" in page(public.slug, lang="nl")


def test_switched_off_it_is_gone_at_once(
    public: Organisation, admin: User, django_capture_on_commit_callbacks
) -> None:
    page(public.slug)
    with django_capture_on_commit_callbacks(execute=True):
        organisation_update(actor=admin, organisation_id=public.pk, public_page_enabled=False)
    assert Client().get(f"/o/{public.slug}/").status_code == 404


def test_a_long_list_is_cut_and_says_how_many_more(public: Organisation) -> None:
    for n in range(PUBLIC_PAGE_LIMIT + 3):
        shift_at(
            public,
            title=f"Shift {n}",
            visibility=ShiftVisibility.PUBLIC,
            starts_in=dt.timedelta(days=2, minutes=n),
        )
    html = page(public.slug, lang="en")
    assert html.count('class="card public-shift"') == PUBLIC_PAGE_LIMIT
    assert "And 3 more shifts" in html


def test_admins_switch_it_on_through_the_api(organisation: Organisation, admin: User) -> None:
    url = f"/api/v1/organisations/{organisation.pk}/"
    answer = client_for(admin).patch(
        url, {"public_page_enabled": True, "public_description": "Welkom"}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["public_page_enabled"] and answer.json()["public_description"] == "Welkom"
    organisation.refresh_from_db()
    assert organisation.public_invite is not None and organisation.public_invite.role == "volunteer"
    coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    refused = client_for(coordinator).patch(url, {"public_page_enabled": False}, format="json")
    assert refused.status_code == 403


def test_admins_switch_it_on_in_the_cockpits_settings(
    organisation: Organisation, admin: User
) -> None:
    browser = Client()
    browser.force_login(admin)
    url = f"/board/{organisation.slug}/settings/"
    form = {
        "name": organisation.name,
        "time_zone": organisation.time_zone,
        "no_show_limit": 2,
        "public_page_enabled": "on",
        "public_description": "Wandel mee!",
    }
    assert browser.post(url, form).status_code == 302
    organisation.refresh_from_db()
    assert organisation.public_page_enabled and organisation.public_description == "Wandel mee!"
    assert f"/o/{organisation.slug}/".encode() in browser.get(url).content

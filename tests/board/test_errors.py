"""The error pages: styled like the product, translated, with a way back and a way out; JSON
under /api/. This module is also the URLconf of the 500 tests (a view that raises)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path

from backend.accounts.models import User
from backend.config.urls import urlpatterns as product_urlpatterns
from backend.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def database_gone(request: HttpRequest) -> HttpResponse:
    raise OperationalError("server closed the connection unexpectedly")


urlpatterns = [
    path("boom/", boom),
    path("database-gone/", database_gone),
    path("api/v1/boom/", boom),
    *product_urlpatterns,
]
handler404 = "backend.api.errors.error_404"
handler500 = "backend.api.errors.error_500"
raising_urls = override_settings(ROOT_URLCONF=__name__)

STYLESHEETS = ("board/board.css", "board/home.css")
LOG_OUT = 'action="/accounts/logout/" method="post"'


def client_for(user: User | None, language: str = "en", **kwargs: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language, **kwargs)
    if user is not None:
        client.force_login(user)
    return client


def assert_styled(html: str) -> None:
    for stylesheet in STYLESHEETS:
        assert stylesheet in html
    assert '<a class="brand" href="/">Inzet</a>' in html


@pytest.mark.parametrize(
    ("language", "heading", "home"),
    [
        ("nl", "Je hebt geen toegang tot deze pagina", "Naar de startpagina"),
        ("fr", "Vous n\u2019avez pas accès à cette page", "Aller à la page d\u2019accueil"),
        ("en", "You do not have access to this page", "Go to the home page"),
    ],
)
def test_the_403_page_is_styled_translated_and_shows_the_way_back_and_out(
    language: str, heading: str, home: str, organisation: Organisation, volunteer: User
) -> None:
    response = client_for(volunteer, language).get(f"/board/{organisation.slug}/")

    assert response.status_code == 403
    html = response.content.decode()
    assert_styled(html)
    assert f'lang="{language}"' in html
    assert heading in html
    assert f'<a class="button primary" href="/">{home}</a>' in html
    assert 'href="/board/"' in html
    assert html.count(LOG_OUT) == 2  # the header's and the page's own
    assert 'name="csrfmiddlewaretoken"' in html


def test_a_404_on_a_board_path_is_the_styled_page(coordinator: User) -> None:
    response = client_for(coordinator).get("/board/no-such-organisation/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert_styled(html)
    assert "This page does not exist" in html
    assert LOG_OUT in html


def test_a_404_for_a_visitor_needs_no_database_and_offers_the_log_in(
    django_assert_num_queries: Any,
) -> None:
    client = client_for(None)
    with django_assert_num_queries(0):
        response = client.get("/nope/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "This page does not exist" in html
    assert 'href="/accounts/login/"' in html
    assert LOG_OUT not in html


def test_a_404_under_the_api_stays_json(coordinator: User) -> None:
    response = client_for(coordinator).get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@raising_urls
def test_the_500_page_renders_without_a_database_or_a_user(
    django_assert_num_queries: Any,
) -> None:
    client = client_for(None, "fr", raise_request_exception=False)
    with django_assert_num_queries(0):
        response = client.get("/boom/")

    assert response.status_code == 500
    html = response.content.decode()
    assert_styled(html)
    assert "Désolés, une erreur s\u2019est produite" in html
    assert 'href="/boom/"' in html  # try again
    assert '<a class="button primary" href="/">' in html
    # The way out works: the log-out form carries a CSRF token although no context
    # processor ran.
    assert LOG_OUT in html
    assert 'name="csrfmiddlewaretoken" value="' in html


@raising_urls
def test_a_500_for_a_logged_in_coordinator_is_the_same_page(coordinator: User) -> None:
    response = client_for(coordinator, raise_request_exception=False).get("/boom/")

    assert response.status_code == 500
    assert "Sorry, something went wrong" in response.content.decode()


@raising_urls
def test_a_500_under_the_api_stays_json() -> None:
    response = client_for(None, raise_request_exception=False).get("/api/v1/boom/")

    assert response.status_code == 500
    assert response.json()["code"] == "server_error"


@raising_urls
def test_a_lost_database_outside_the_api_is_a_styled_503_with_retry_after() -> None:
    response = client_for(None, raise_request_exception=False).get("/database-gone/")

    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    html = response.content.decode()
    assert_styled(html)
    assert "The database cannot be reached right now." in html

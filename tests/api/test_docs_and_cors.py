"""The API docs work offline (Swagger UI and ReDoc from the installed sidecar, no CDN), and
web apps on other origins get CORS answers when configured (issue 12)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from backend.accounts.models import User

pytestmark = pytest.mark.django_db

APP = "https://app.example.org"


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', html)


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_load_everything_from_this_server(page: str) -> None:
    response = Client().get(page)
    html = response.content.decode()
    assets = _assets(html)

    assert response.status_code == 200
    assert assets, html[:500]
    assert all(a.startswith("/static/drf_spectacular_sidecar/") for a in assets), assets
    assert all(finders.find(a.removeprefix("/static/")) for a in assets)
    assert "cdn" not in html.lower()


def _preflight(origin: str) -> Any:
    return Client().options(
        "/api/v1/shifts/",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )


def test_cors_is_off_unless_origins_are_configured() -> None:
    response = _preflight(APP)
    assert "access-control-allow-origin" not in response.headers


def test_a_configured_origin_gets_a_preflight_answer_without_authentication(
    settings: Any, volunteer: User
) -> None:
    settings.CORS_ALLOWED_ORIGINS = [APP]

    allowed = _preflight(APP)
    other = _preflight("https://evil.example.com")
    real = Client().get(
        "/api/v1/shifts/",
        HTTP_ORIGIN=APP,
        HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(volunteer)}",
    )
    page = Client().get("/accounts/login/", HTTP_ORIGIN=APP)

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == APP
    assert "authorization" in allowed.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in allowed.headers
    assert "access-control-allow-origin" not in other.headers
    assert real.status_code == 200 and real.headers["access-control-allow-origin"] == APP
    # Only the API: the cockpit's pages (cookies, CSRF) are not opened to other origins.
    assert "access-control-allow-origin" not in page.headers

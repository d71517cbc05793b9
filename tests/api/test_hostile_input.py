"""Hostile input found by black-box testing (issue 10, "No 500s"): each answers a 4xx in the
API's one error shape, never a 500 or an HTML page."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from backend.accounts.models import User
from backend.organisations.models import Organisation
from tests.conftest import client_for
from tests.factories import ShiftFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"

DEEP_BODIES = {
    "100,000 open lists": b"[" * 100_000,
    "100,000 open objects": b'{"a":' * 100_000,
    "100,000 closed lists": b"[" * 100_000 + b"]" * 100_000,
    # Parses (under the recursion limit) but nests far more than any request does.
    "500 closed objects": b'{"a":' * 500 + b"1" + b"}" * 500,
}


def error(response) -> tuple[int, str, dict]:  # type: ignore[no-untyped-def]
    """The status, code and fields of an error response, checking its shape."""
    assert response["Content-Type"] == "application/json", response.content[:200]
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}, body
    assert isinstance(body["detail"], str) and isinstance(body["fields"], dict)
    return response.status_code, body["code"], body["fields"]


@pytest.mark.parametrize("body", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
def test_deeply_nested_json_is_malformed_for_anonymous_and_signed_in_clients(
    body: bytes, api: APIClient, coordinator: User
) -> None:
    anonymous = api.post(TOKEN_URL, body, content_type="application/json")
    signed_in = client_for(coordinator).post(
        "/api/v1/shifts/", body, content_type="application/json"
    )

    assert error(anonymous)[:2] == (400, "malformed")
    assert error(signed_in)[:2] == (400, "malformed")


def test_syntax_errors_are_malformed_too(api: APIClient) -> None:
    response = api.post(TOKEN_URL, b"{not json", content_type="application/json")

    assert error(response)[:2] == (400, "malformed")


def test_a_lone_surrogate_is_malformed(api: APIClient, volunteer: User) -> None:
    # A JSON escape for half a UTF-16 pair: valid JSON, but no text. A choice field quoted it
    # in its error message, which could then not be encoded (a 500 while rendering the 400).
    login = b'{"email": "\\ud800@example.org", "password": "secret"}'
    choice = b'{"language": "\\ud800"}'
    text = b'{"display_name": "Ann\\udc00"}'
    name_before = volunteer.profile.display_name

    anonymous = api.post(TOKEN_URL, login, content_type="application/json")
    signed_in = [
        client_for(volunteer).patch("/api/v1/me/", body, content_type="application/json")
        for body in (choice, text)
    ]

    assert error(anonymous)[:2] == (400, "malformed")
    assert [error(response)[:2] for response in signed_in] == [(400, "malformed")] * 2
    volunteer.profile.refresh_from_db()
    assert volunteer.profile.display_name == name_before


def test_a_body_over_the_upload_limit_is_413_too_large(api: APIClient, coordinator: User) -> None:
    body = b'{"email": "' + b"a" * (3 * 1024 * 1024) + b'", "password": "x"}'

    anonymous = api.post(TOKEN_URL, body, content_type="application/json")
    signed_in = client_for(coordinator).post(
        "/api/v1/shifts/", body, content_type="application/json"
    )

    assert error(anonymous)[:2] == (413, "too_large")
    assert error(signed_in)[:2] == (413, "too_large")


@pytest.mark.parametrize(
    "query",
    [
        "to=2026-12-10T10:00:00-20:00",
        "from=2026-12-10T10:00:00%2B16:00",
        "to=2026-12-10T10:00-14:01",
    ],
)
def test_utc_offsets_no_time_zone_has_are_refused_naming_the_filter(
    query: str, volunteer: User
) -> None:
    response = client_for(volunteer).get(f"/api/v1/shifts/?{query}")

    status, code, fields = error(response)
    assert (status, code) == (400, "invalid")
    assert list(fields) == [query.split("=")[0]]


def test_the_furthest_real_offsets_still_filter(volunteer: User) -> None:
    client = client_for(volunteer)
    kiribati = client.get("/api/v1/shifts/?from=2026-12-10T10:00:00%2B14:00")
    baker_island = client.get("/api/v1/shifts/?to=2026-12-10T10:00:00-12:00")

    assert (kiribati.status_code, baker_island.status_code) == (200, 200)


def test_a_shift_body_with_an_impossible_offset_names_the_field(
    coordinator: User, organisation: Organisation
) -> None:
    body = {
        "organisation": organisation.pk,
        "title": "Wandeling",
        "address": "Kerkstraat 1, 9000 Gent",
        "starts_at": "2030-05-01T10:00:00-20:00",
        "ends_at": "2030-05-01T12:00:00+02:00",
        "capacity": 3,
    }

    response = client_for(coordinator).post("/api/v1/shifts/", body, format="json")

    status, code, fields = error(response)
    assert (status, code, list(fields)) == (400, "invalid", ["starts_at"])


@pytest.mark.parametrize(
    ("query", "headers"),
    [("?format=csv", {}), ("", {"HTTP_ACCEPT": "text/csv"})],
    ids=["format=csv", "Accept: text/csv"],
)
def test_options_on_the_csv_figures_answer_json_metadata(
    query: str, headers: dict[str, str], coordinator: User, organisation: Organisation
) -> None:
    url = f"/api/v1/organisations/{organisation.pk}/stats/{query}"

    response = client_for(coordinator).options(url, **headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "text/csv" in response.json()["renders"]


def test_the_csv_figures_themselves_are_still_csv(
    coordinator: User, organisation: Organisation
) -> None:
    response = client_for(coordinator).get(
        f"/api/v1/organisations/{organisation.pk}/stats/?format=csv"
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"figure,value")


def test_options_on_a_calendar_feed_answers_json_metadata(api: APIClient) -> None:
    response = api.options("/api/v1/calendar/no-such-token/shifts.ics?format=ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_a_calendar_token_with_a_nul_byte_is_simply_not_found(api: APIClient) -> None:
    response = api.get("/api/v1/calendar/abc%00def/shifts.ics")

    assert error(response)[:2] == (404, "not_found")


@pytest.mark.parametrize("method", ["get", "post", "delete"])
@pytest.mark.parametrize("url", ["/api/v1/nope/", "/api/v1/nope", "/api/nope/", "/api/"])
def test_with_debug_unknown_api_urls_answer_the_json_404(
    method: str, url: str, api: APIClient, settings
) -> None:
    settings.DEBUG = True  # make run's mode: Django would answer its HTML technical page

    response = getattr(api, method)(url)

    assert error(response)[:2] == (404, "not_found")


def test_with_debug_a_known_url_without_its_slash_still_redirects(
    volunteer: User, settings
) -> None:
    settings.DEBUG = True

    response = client_for(volunteer).get("/api/v1/shifts?mode=online")

    assert response.status_code == 301
    assert response["Location"] == "/api/v1/shifts/?mode=online"


def test_outside_the_api_unknown_urls_keep_the_html_404(api: APIClient) -> None:
    response = api.get("/nope/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_shift_list_still_filters_by_time(volunteer: User, organisation: Organisation) -> None:
    shift = ShiftFactory(organisation=organisation)
    start = shift.starts_at.isoformat().replace("+", "%2B")

    before = client_for(volunteer).get(f"/api/v1/shifts/?to={start}")
    after = client_for(volunteer).get(f"/api/v1/shifts/?from={start}")

    assert before.json()["results"] == []
    assert [s["id"] for s in after.json()["results"]] == [shift.pk]

"""No malformed request gets a 500 or an HTML page: always JSON with a stable code."""

import json

import pytest
from django.urls import reverse

from tests.conftest import client_for
from tests.factories import QualificationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

HUGE = 10**40

GARBAGE_BODIES = [
    b"{not json",
    b"[]",
    b"null",
    b'"string"',
    b"12",
    json.dumps({"capacity": HUGE, "starts_at": "31/02/2030", "organisation": HUGE}).encode(),
    json.dumps({"title": ["list"], "capacity": "NaN", "organisation": -1}).encode(),
    json.dumps({"required_qualifications": "1,2", "publish": "maybe"}).encode(),
    json.dumps({"starts_at": "2030-02-30T10:00:00Z", "ends_at": None}).encode(),
    json.dumps({"email": {"$ne": 1}, "password": None, "code": HUGE, "role": "god"}).encode(),
    json.dumps({"user_id": HUGE, "expires_on": "morgen", "name": "x" * 10_000}).encode(),
    '{"title": "\u0000\ud800"}'.encode("utf-8", "surrogatepass"),
]


@pytest.fixture
def paths(organisation, volunteer):
    shift = ShiftFactory(organisation=organisation)
    qualification = QualificationFactory(organisation=organisation)
    org = organisation.pk
    return [
        "/api/v1/auth/register/",
        "/api/v1/auth/token/",
        "/api/v1/auth/token/refresh/",
        "/api/v1/me/",
        "/api/v1/me/claims/",
        "/api/v1/organisations/",
        "/api/v1/organisations/join/",
        f"/api/v1/organisations/{org}/",
        f"/api/v1/organisations/{org}/members/",
        f"/api/v1/organisations/{org}/members/{volunteer.memberships.get().pk}/",
        f"/api/v1/organisations/{org}/invites/",
        f"/api/v1/organisations/{org}/qualifications/",
        f"/api/v1/organisations/{org}/qualifications/{qualification.pk}/holders/",
        f"/api/v1/organisations/{org}/qualifications/{qualification.pk}/holders/{volunteer.pk}/",
        "/api/v1/shifts/",
        f"/api/v1/shifts/{shift.pk}/",
        f"/api/v1/shifts/{shift.pk}/publish/",
        f"/api/v1/shifts/{shift.pk}/claim/",
        f"/api/v1/shifts/{shift.pk}/claims/",
        f"/api/v1/shifts/{shift.pk}/claims/{HUGE}/",
        f"/api/v1/shifts/{HUGE}/",
        f"/api/v1/organisations/{HUGE}/members/",
        "/api/v1/shifts/-1/",
        "/api/v1/does-not-exist/",
    ]


def assert_json_error(response, path):
    assert response.status_code < 500, (path, response.status_code, response.content[:300])
    if response.status_code == 204:
        return
    assert response["Content-Type"].startswith("application/json"), (path, response.content[:200])
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body["code"], str) and body["code"], (path, body)
        assert isinstance(body["detail"], str), (path, body)
        assert isinstance(body["fields"], dict), (path, body)


def test_every_endpoint_answers_garbage_with_a_json_error(paths, coordinator):
    client = client_for(coordinator)
    for path in paths:
        for body in GARBAGE_BODIES:
            for method in ("post", "patch", "put", "delete"):
                response = getattr(client, method)(path, body, content_type="application/json")
                assert_json_error(response, f"{method.upper()} {path} {body[:40]!r}")


def test_wrong_content_types_are_refused_in_json(paths, coordinator):
    client = client_for(coordinator)
    for path in paths:
        response = client.post(path, "title=x", content_type="application/x-www-form-urlencoded")
        assert_json_error(response, path)
    form = client.post(
        "/api/v1/shifts/", "title=x", content_type="application/x-www-form-urlencoded"
    )
    assert (form.status_code, form.json()["code"]) == (415, "unsupported_media_type")


@pytest.mark.parametrize(
    "query",
    [
        f"organisation={HUGE}",
        "organisation=abc",
        "from=yesterday",
        "to=2030-13-45",
        "open=perhaps",
        "mode=submarine",
        f"qualification={HUGE}",
        "page=0",
        "page=abc",
        f"page={HUGE}",
        f"page_size={HUGE}",
        "ordering=password",
    ],
)
def test_bad_query_strings_never_break_the_shift_list(query, volunteer):
    response = client_for(volunteer).get(f"/api/v1/shifts/?{query}")
    assert_json_error(response, query)


def test_unknown_api_urls_answer_json_404(api):
    response = api.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_anonymous_garbage_is_refused_without_500(paths, api):
    for path in paths:
        response = api.post(path, b"{not json", content_type="application/json")
        assert_json_error(response, path)


def test_reverse_names_exist_for_the_documented_endpoints():
    assert reverse("shift-claim", kwargs={"shift_id": 1}) == "/api/v1/shifts/1/claim/"

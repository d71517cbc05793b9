"""Nonsense in a list's query string is a 400 that names the parameter, never silently ignored
and never a 404 (issue 12): an app's bug shows up where it is."""

from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import quote

import pytest

from backend.accounts.models import User
from backend.organisations.models import Organisation
from backend.shifts.models import Shift
from backend.shifts.services import claim_create
from tests.conftest import client_for
from tests.factories import shift_at

pytestmark = pytest.mark.django_db

SHIFTS = "/api/v1/shifts/"
MY_CLAIMS = "/api/v1/me/claims/"


@pytest.fixture
def shifts(organisation: Organisation) -> list[Shift]:
    return [shift_at(organisation, starts_in=dt.timedelta(days=1 + i)) for i in range(3)]


def cursor(tokens: str) -> str:
    """A cursor as the API encodes one (base64 of its query string), with our own tokens."""
    return quote(base64.b64encode(tokens.encode()).decode())


def refused(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    return sorted(body["fields"])


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("open=banana", "open"),
        ("open=", None),
        ("page_size=0", "page_size"),
        ("page_size=-3", "page_size"),
        ("page_size=abc", "page_size"),
        ("cursor=garbage", "cursor"),
        (f"cursor={cursor('o=0&r=0&p=banana')}", "cursor"),
        (f"cursor={cursor('o=0&r=0&p=2030-01-01 10:00:00')}", "cursor"),  # no offset
        (f"cursor={cursor('o=-1&r=0&p=2030-01-01 10:00:00%2B00:00')}", "cursor"),
        ("ordering=title", "ordering"),
        ("ordering=starts_at,password", "ordering"),
    ],
)
def test_the_shift_list_names_the_parameter_it_cannot_use(
    volunteer: User, shifts: list[Shift], query: str, parameter: str | None
) -> None:
    response = client_for(volunteer).get(f"{SHIFTS}?{query}")
    if parameter is None:  # an empty value is "not given"
        assert response.status_code == 200
    else:
        assert refused(response) == [parameter]


def test_the_shift_list_takes_what_it_documents(volunteer: User, shifts: list[Shift]) -> None:
    client = client_for(volunteer)

    open_ = client.get(f"{SHIFTS}?open=true").json()["results"]
    closed = client.get(f"{SHIFTS}?open=0").json()["results"]
    newest_first = client.get(f"{SHIFTS}?ordering=-starts_at&page_size=2").json()
    capped = client.get(f"{SHIFTS}?page_size=100000")
    following = client.get(newest_first["next"])

    assert [s["id"] for s in open_] == [s.pk for s in shifts]
    assert closed == []
    assert [s["id"] for s in newest_first["results"]] == [shifts[2].pk, shifts[1].pk]
    assert [s["id"] for s in following.json()["results"]] == [shifts[0].pk]
    assert capped.status_code == 200 and len(capped.json()["results"]) == 3


def test_page_numbered_lists_refuse_a_bad_page_or_size_and_404_past_the_end(
    volunteer: User, shifts: list[Shift]
) -> None:
    for shift in shifts:
        claim_create(volunteer=volunteer, shift_id=shift.pk)
    client = client_for(volunteer)

    assert refused(client.get(f"{MY_CLAIMS}?page_size=0")) == ["page_size"]
    assert refused(client.get(f"{MY_CLAIMS}?page=abc")) == ["page"]
    assert refused(client.get(f"{MY_CLAIMS}?page=0")) == ["page"]
    second = client.get(f"{MY_CLAIMS}?page_size=2&page=2")
    last = client.get(f"{MY_CLAIMS}?page_size=2&page=last")
    past = client.get(f"{MY_CLAIMS}?page_size=2&page=3")

    assert second.status_code == 200 and len(second.json()["results"]) == 1
    assert last.json()["results"] == second.json()["results"]
    assert past.status_code == 404 and past.json()["code"] == "not_found"


def test_errors_inside_a_list_are_keyed_by_their_path(coordinator: User, organisation) -> None:  # type: ignore[no-untyped-def]
    response = client_for(coordinator).post(
        "/api/v1/series/",
        {
            "organisation": organisation.pk,
            "title": "Elke week",
            "address": "Kerkstraat 1",
            "capacity": 2,
            "frequency": "weekly",
            "weekdays": [0, 9, "x"],
            "starts_on": "2031-01-06",
            "until": "2031-02-06",
            "start_time": "10:00",
            "end_time": "12:00",
        },
        format="json",
    )

    fields = response.json()["fields"]
    assert response.status_code == 400
    assert sorted(fields) == ["weekdays.1", "weekdays.2"]
    assert all(isinstance(m, str) for messages in fields.values() for m in messages)


def test_the_shift_list_pages_through_equal_starts_in_either_order(
    organisation: Organisation, volunteer: User
) -> None:
    # Seven shifts, three starting at the same moment: the cursor's offset carries over.
    shifts = [shift_at(organisation, starts_in=dt.timedelta(days=1 + min(i, 3))) for i in range(7)]
    client = client_for(volunteer)
    pages = [client.get(f"{SHIFTS}?page_size=2").json()]
    while pages[-1]["next"]:
        pages.append(client.get(pages[-1]["next"]).json())
    forwards = [[s["id"] for s in page["results"]] for page in pages]
    assert forwards == [[s.pk for s in shifts[i : i + 2]] for i in range(0, 7, 2)]

    newest = [client.get(f"{SHIFTS}?page_size=3&ordering=-starts_at").json()]
    while newest[-1]["next"]:
        newest.append(client.get(newest[-1]["next"]).json())
    backwards = [s["id"] for page in newest for s in page["results"]]
    assert backwards == [s.pk for s in sorted(shifts, key=lambda s: (s.starts_at, s.pk))][::-1]

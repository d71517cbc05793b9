"""Every operation of the OpenAPI schema, with a corpus of hostile input, as a coordinator and
anonymously: never a 5xx, and every error is the one JSON error shape (issue 10, "No 500s").

The operations come from ``/api/schema/`` itself, so a new endpoint is swept without anyone
remembering to add it. Path parameters get real ids (so the request reaches the serializers
and services) and hostile ones; POST/PUT/PATCH get hostile whole bodies and, on an otherwise
valid body, one hostile value per property (and hostile pairs of times, which only a service
can refuse); GET gets a hostile value per query parameter. Each request runs in a savepoint that is
rolled back, so what one request changes (an erasure, a cancelled shift) never changes what
the next one meets.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken

from backend.accounts.models import User
from backend.accounts.services import calendar_token_get
from backend.allowances.models import AllowanceEntry
from backend.notifications.models import Device, Notification
from backend.organisations.models import InviteCode, Organisation, VolunteerQualification
from backend.shifts.models import Claim, ClaimStatus
from tests.factories import PASSWORD, QualificationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

# Values JSON has no literal for (``json.dumps`` would write ``Infinity``), put in the body
# text as they are.
RAW = {"__1e999__": "1e999", "__-1e999__": "-1e999", "__NaN__": "NaN"}

# Hostile values for a property, by what the schema says it takes; every property gets the
# common ones.
COMMON: list[Any] = [
    None,
    "",
    "a\x00b",
    "\ud800",  # json.dumps writes the escape "\ud800": a lone surrogate once parsed
    "x" * 10_000,
    10**30,
    -1,
    0,
    1.5,
    True,
    [],
    {},
    {"$ne": 1},
    "__1e999__",
    "__NaN__",
]
BY_KIND: dict[str, list[Any]] = {
    "integer": [-(10**30), 999_999_999_999_999_999, "__-1e999__", "1e999", "NaN", "١٢٣", "0x10"],
    "array": [[10**30], [-1], ["\x00"], [None], [[[[1]]]], [{"a": 1}], list(range(1000))],
    "boolean": ["maybe", "true", 2],
    "date-time": [
        "2026-12-10T10:00:00-20:00",
        "2026-12-10T10:00:00+15:59",
        "2026-12-10T10:00:00",  # naive
        "2026-12-10",  # a date where a datetime is expected
        "2026-03-29T02:30:00",  # naive, in Brussels' spring-forward gap
        "9999-12-31T23:59:59+14:00",
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00-14:00",
        "0001-01-01",
        "2026-02-30T10:00:00Z",
        "2026-12-10T25:00:00Z",
    ],
    "date": ["9999-12-31", "0001-01-01", "2026-02-30", "2026-12-10T10:00:00", "+12026-01-01"],
    "time": ["24:00", "23:59:60", "10:00+20:00", "25:61", "10:00:00.9999999"],
}


# Pairs a serializer accepts one value at a time but a service must refuse (or handle).
EDGE_PAIRS: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("starts_at", "ends_at"): [
        ("9999-12-31T20:00:00+01:00", "9999-12-31T22:00:00+01:00"),
        ("9999-12-31T22:00:00-14:00", "9999-12-31T23:59:59-14:00"),
        ("0001-01-01T10:00:00+14:00", "0001-01-01T12:00:00+14:00"),
        ("0001-01-01T00:00:00", "0001-01-01T02:00:00"),
        ("1970-01-01T00:00:00Z", "1970-01-01T02:00:00Z"),
        ("2026-10-25T02:30:00", "2026-10-25T03:30:00"),  # naive, in the autumn's repeated hour
    ],
    ("starts_on", "until"): [
        ("9999-12-24", "9999-12-31"),
        ("0001-01-01", "0001-01-08"),
        ("2026-01-01", "9999-12-31"),
    ],
    ("from_week", "to_week"): [
        ("9999-12-31", "9999-12-24"),
        ("2026-01-05", "9999-12-31"),
        ("0001-01-01", "2026-01-05"),
        ("2026-01-05", "0001-01-01"),
    ],
    ("start_time", "end_time"): [("23:59:59.999999", "00:00"), ("00:00", "00:00")],
}

BIG = b'{"title": "' + b"x" * (3 * 1024 * 1024) + b'"}'
WHOLE_BODIES: list[bytes] = [
    b"",
    b"null",
    b"[]",
    b"{}",
    b'"text"',
    b"12",
    b"1e999",
    b"NaN",
    b"-Infinity",
    b"{not json",
    b"\xff\xfe\x00{",
    b"\x00",
    b'{"a": 1, "a": 2}',
    b"[" * 100_000,
    b'{"a":' * 100_000,
    b"[" * 500 + b"]" * 500,
    BIG,
]

HOSTILE_IDS = ["0", "999999999999999999", "9" * 30, "-1", "abc", "%00", "1.5", "%ED%A0%80"]
HOSTILE_TOKENS = ["%00", "x" * 300, "nope", "%ED%A0%80", "%FF"]
HOSTILE_QUERY_VALUES = [
    "",
    "%00",
    "%ED%A0%80",
    "%FF",
    "x" * 2000,
    "9" * 30,
    "-1",
    "0",
    "1.5",
    "1e999",
    "NaN",
    "inf",
    "maybe",
    "2026-12-10T10:00:00-20:00",
    "2026-12-10T10:00:00",
    "2026-12-10",
    "9999-12-31T23:59:59%2B14:00",
    "0001-01-01T00:00:00-14:00",
    "[]",
]


@dataclass
class Operation:
    method: str
    path: str
    spec: dict[str, Any]

    @property
    def path_params(self) -> list[str]:
        return [p["name"] for p in self.spec.get("parameters", []) if p["in"] == "path"]

    @property
    def query_params(self) -> list[str]:
        return [p["name"] for p in self.spec.get("parameters", []) if p["in"] == "query"]


@dataclass
class World:
    """Real objects for the path parameters and valid bodies to start from."""

    path_values: dict[str, str]
    body_values: dict[str, Any]


@pytest.fixture
def world(organisation: Organisation, coordinator: User, volunteer: User) -> World:
    # Far from UTC, so times near the ends of Python's range overflow when shown in it.
    organisation.time_zone = "Pacific/Kiritimati"
    organisation.save(update_fields=["time_zone"])
    shift = ShiftFactory(organisation=organisation, confirmed_count=1)
    claim = Claim.objects.create(shift=shift, volunteer=volunteer, status=ClaimStatus.CONFIRMED)
    qualification = QualificationFactory(organisation=organisation)
    VolunteerQualification.objects.create(user=volunteer, qualification=qualification)
    invite = InviteCode.objects.create(organisation=organisation, code="SWEEP123")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    series = client_as(coordinator).post(
        "/api/v1/series/",
        {
            "organisation": organisation.pk,
            "title": "Elke maandag",
            "address": "Kerkstraat 1, 9000 Gent",
            "capacity": 3,
            "frequency": "weekly",
            "weekdays": [0],
            "starts_on": str(tomorrow),
            "until": str(tomorrow + dt.timedelta(days=21)),
            "start_time": "10:00",
            "end_time": "12:00",
        },
        format="json",
    )
    assert series.status_code == 201, series.content
    starts = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    starts += dt.timedelta(days=1)
    device = Device.objects.create(user=coordinator, kind="fcm", address="sweep-token")
    inboxed = Notification.objects.create(
        key="sweep",
        kind="broadcast",
        organisation=organisation,
        user=coordinator,
        shift=shift,
        shift_starts_at=shift.starts_at,
        scheduled_for=timezone.now(),
        due_at=timezone.now(),
        status="sent",
        channel="inbox",
        text="Hallo",
        sent_at=timezone.now(),
    )
    entry = AllowanceEntry.objects.create(
        volunteer=volunteer,
        organisation=organisation,
        day=timezone.localdate(),
        regime="real_costs",
        amount="12.50",
    )
    return World(
        path_values={
            "organisation_id": str(organisation.pk),
            "membership_id": str(volunteer.memberships.get().pk),
            "qualification_id": str(qualification.pk),
            "user_id": str(volunteer.pk),
            "shift_id": str(shift.pk),
            "claim_id": str(claim.pk),
            "series_id": str(series.json()["id"]),
            "invite_id": str(invite.pk),
            "device_id": str(device.pk),
            "notification_id": str(inboxed.pk),
            "entry_id": str(entry.pk),
            # No such request or swap: the hostile bodies and parameters are what is tried.
            "request_id": "1",
            "swap_id": "1",
            "token": calendar_token_get(user=coordinator),
        },
        body_values={
            "email": coordinator.email,
            "password": PASSWORD,
            "display_name": "Ann",
            "phone": "+32 470 12 34 56",
            "postcode": "9000",
            "refresh": str(RefreshToken.for_user(coordinator)),
            "enabled": True,
            "offsets_minutes": [60],
            "name": "Nieuw",
            "slug": "nieuw",
            "time_zone": "Europe/Brussels",
            "no_show_limit": 3,
            "valid_days": 30,
            "max_uses": 5,
            "description": "",
            "user_id": volunteer.pk,
            "expires_on": str(tomorrow + dt.timedelta(days=30)),
            "code": "SWEEP123",
            "organisation": organisation.pk,
            "title": "Wandeling",
            "address": "Kerkstraat 1, 9000 Gent",
            "meeting_link": "",
            "capacity": 3,
            "cancellation_deadline_hours": 24,
            "interval": 1,
            "weekdays": [0, 2],
            "starts_on": str(tomorrow),
            "until": str(tomorrow + dt.timedelta(days=14)),
            "start_time": "10:00",
            "end_time": "12:00",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + dt.timedelta(hours=2)).isoformat(),
            "claims_open_at": None,
            "publish": False,
            "required_qualifications": [qualification.pk],
            "absent": [claim.pk],
            "text": "Hallo",
            "from_week": str(tomorrow),
            "to_week": str(tomorrow + dt.timedelta(days=7)),
        },
    )


def client_as(user: User | None) -> APIClient:
    client = APIClient()
    # A 500 must come back as a response to count, not as an exception ending the sweep.
    client.raise_request_exception = False
    if user is not None:
        client.force_authenticate(user=user)
    return client


@pytest.fixture
def no_throttling(monkeypatch: pytest.MonkeyPatch) -> None:
    # Throttling has tests of its own; here a 429 after ten log-ins would hide what is behind.
    monkeypatch.setattr(APIView, "check_throttles", lambda self, request: None)


def operations(client: APIClient) -> tuple[list[Operation], dict[str, Any]]:
    """The operations of the schema the API serves, and its components."""
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    found = [
        Operation(method.upper(), path, spec)
        for path, methods in schema["paths"].items()
        for method, spec in methods.items()
    ]
    return found, schema["components"]["schemas"]


def resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    for combined in ("allOf", "oneOf"):
        if combined in schema:
            return resolve(schema[combined][0], components)
    return schema


def valid_body(op: Operation, world: World, components: dict[str, Any]) -> dict[str, Any] | None:
    content = op.spec.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    properties = resolve(content["schema"], components).get("properties", {})
    body: dict[str, Any] = {}
    for name, prop in properties.items():
        prop = resolve(prop, components)
        if name in world.body_values:
            body[name] = world.body_values[name]
        elif "enum" in prop:
            body[name] = next(value for value in prop["enum"] if value)
        else:
            body[name] = {"integer": 1, "number": 1, "boolean": False, "array": []}.get(
                prop.get("type", ""), "x"
            )
    if op.path == "/api/v1/auth/register/":
        body["email"] = "someone-new@example.org"
    return body


def encode(body: Any) -> bytes:
    text = json.dumps(body)
    for marker, raw in RAW.items():
        text = text.replace(f'"{marker}"', raw)
    return text.encode()  # json.dumps escapes what is not ASCII, lone surrogates too


def urls(op: Operation, world: World) -> Iterator[tuple[str, bool]]:
    """The operation's URL with real path values (True), then with each one hostile."""

    def url(values: dict[str, str]) -> str:
        path = op.path
        for name, value in values.items():
            path = path.replace("{" + name + "}", value)
        return path

    real = {name: world.path_values[name] for name in op.path_params}
    yield url(real), True
    for name in op.path_params:
        for hostile in HOSTILE_TOKENS if name == "token" else HOSTILE_IDS:
            yield url({**real, name: hostile}), False


def kind(prop: dict[str, Any]) -> str:
    return str(prop.get("format") if prop.get("type") == "string" else prop.get("type"))


def bodies(op: Operation, world: World, components: dict[str, Any]) -> Iterator[tuple[str, bytes]]:
    """Hostile whole bodies, then one hostile property (or pair) in an otherwise valid body:
    a POST's whole body, a PATCH's partial one."""
    for body in WHOLE_BODIES:
        yield (repr(body) if len(body) < 60 else f"{body[:20]!r}... ({len(body)} bytes)"), body
    base = valid_body(op, world, components)
    if base is None:
        return
    content = op.spec["requestBody"]["content"]["application/json"]
    properties = resolve(content["schema"], components)["properties"]
    partial = op.method == "PATCH"
    for name in base:
        for value in COMMON + BY_KIND.get(kind(resolve(properties[name], components)), []):
            body = {name: value} if partial else {**base, name: value}
            yield f"{name}={value!r:.40}", encode(body)
    for (first, second), pairs in EDGE_PAIRS.items():
        if first in base and second in base:
            for a, b in pairs:
                body = {first: a, second: b} if partial else {**base, first: a, second: b}
                yield f"{first}={a}, {second}={b}", encode(body)


def queries(op: Operation) -> Iterator[str]:
    for name in op.query_params:
        for value in HOSTILE_QUERY_VALUES:
            yield f"?{name}={value}"
        yield f"?{name}=1&{name}=2"


def formats(op: Operation) -> list[str]:
    return [
        f"?format={value}"
        for p in op.spec.get("parameters", [])
        if p["in"] == "query" and p["name"] == "format"
        for value in p["schema"].get("enum", [])
    ]


def problem(method: str, response: Any) -> str | None:
    """What is wrong with a response, if anything."""
    if response.status_code >= 500:
        return f"{response.status_code} {response.content[:300]!r}"
    if response.status_code < 400 or method == "HEAD":  # HEAD: the headers, no body
        return None
    if response.get("Content-Type") != "application/json":
        return (
            f"{response.status_code} as {response.get('Content-Type')}: {response.content[:200]!r}"
        )
    body = json.loads(response.content)
    if not (
        isinstance(body, dict)
        and set(body) == {"code", "detail", "fields"}
        and isinstance(body["code"], str)
        and body["code"]
        and isinstance(body["detail"], str)
        and isinstance(body["fields"], dict)
    ):
        return f"{response.status_code} not the error shape: {body!r:.300}"
    return None


def sweep(user: User | None, world: World) -> tuple[list[str], int]:
    found, components = operations(client_as(None))
    problems: list[str] = []
    sent = 0

    client = client_as(user)

    def send(method: str, url: str, body: bytes = b"", label: str = "") -> int:
        nonlocal sent, client
        sent += 1
        # A savepoint for reads too: a read failing in the database would otherwise abort
        # the test's transaction, and every request after it.
        with transaction.atomic():
            response = client.generic(method, url, body, content_type="application/json")
            transaction.set_rollback(True)
        if user is not None and method not in ("GET", "HEAD", "OPTIONS"):
            # The user afresh: a request may change its user object in memory (an erasure
            # does), which the rollback does not undo.
            client = client_as(User.objects.get(pk=user.pk))
        if (trouble := problem(method, response)) is not None:
            problems.append(f"{method} {url[:120]} {label}: {trouble}")
        return int(response.status_code)

    for op in found:
        valid = encode(valid_body(op, world, components) or {})
        for url, real in urls(op, world):
            if op.method in ("POST", "PUT", "PATCH"):
                status = send(op.method, url, valid, "(valid body)")
                # With a hostile id, or refused as anonymous, the body is never read.
                if real and status != 401:
                    for label, body in bodies(op, world, components):
                        send(op.method, url, body, label)
            elif send(op.method, url) != 401 and real:
                for query in queries(op):
                    send(op.method, url + query)
            if real:
                send("HEAD", url)
                # OPTIONS in every format the operation offers (?format=csv chose the CSV
                # renderer, which was handed the metadata).
                for query in ["", *formats(op)]:
                    send("OPTIONS", url + query)
    return problems, sent


@pytest.mark.slow
def test_no_operation_answers_hostile_input_with_a_5xx_or_another_shape(
    world: World, coordinator: User, no_throttling: None
) -> None:
    signed_in, signed_in_sent = sweep(coordinator, world)
    anonymous, anonymous_sent = sweep(None, world)

    problems = [f"coordinator: {p}" for p in signed_in] + [f"anonymous: {p}" for p in anonymous]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])
    assert signed_in_sent > 3000 and anonymous_sent > 600  # the sweep itself still sweeps

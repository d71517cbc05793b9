"""An app developer's first hour, with a typed client generated from the live schema
(openapi-python-client, issue 12): log in, refresh, list shifts, claim, cancel, fetch the
iCalendar feed, and read every error as the schema's ``Error``. It ran against the server over
HTTP, so what the schema promises is what the server answers."""

from __future__ import annotations

import datetime as dt
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from backend.organisations.models import Organisation
from tests.board.browser import fast_password_hashing  # noqa: F401 (the server's hashers)
from tests.factories import shift_at
from tests.realtime.live import private_redis, running_daphne

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PASSWORD = "lange-zin-voor-de-test"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture
def server() -> Iterator[str]:
    with private_redis() as redis_server, running_daphne(redis_server.url) as port:
        yield f"http://127.0.0.1:{port}"


def generated_client(server: str, folder: Path) -> ModuleType:
    """The client generated from the schema the running server publishes."""
    schema = folder / "schema.json"
    schema.write_bytes(httpx.get(f"{server}/api/schema/?format=json", timeout=30).content)
    config = folder / "config.yml"
    config.write_text("post_hooks: []\n")
    command = [str(GENERATOR), "generate", "--path", str(schema), "--meta", "none"]
    command += ["--output-path", str(folder / "inzet_client"), "--config", str(config)]
    subprocess.run(
        command,
        check=True,
        capture_output=True,
        timeout=120,
    )
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module("inzet_client")
    finally:
        sys.path.remove(str(folder))


def module(client: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{client.__name__}.{name}")


def test_a_generated_client_does_an_app_developers_first_hour(
    server: str, organisation: Organisation, volunteer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    volunteer.set_password(PASSWORD)
    volunteer.save()
    open_shift = shift_at(organisation, capacity=2, title="Wandeling")
    full = shift_at(organisation, starts_in=dt.timedelta(days=5), capacity=1, title="Bingo")
    full.waitlist_enabled = False
    full.confirmed_count = 1
    full.save(update_fields=["waitlist_enabled", "confirmed_count"])

    api = generated_client(server, tmp_path)
    models = module(api, "models")
    anonymous = api.Client(base_url=server, raise_on_unexpected_status=True)

    wrong = module(api, "api.auth.auth_token_create").sync(
        client=anonymous,
        body=models.EmailTokenRequest(email=volunteer.email, password="nope"),
    )
    assert isinstance(wrong, models.Error) and wrong.code == "invalid_credentials"

    pair = module(api, "api.auth.auth_token_create").sync(
        client=anonymous,
        body=models.EmailTokenRequest(email=volunteer.email, password=PASSWORD),
    )
    assert isinstance(pair, models.TokenPair) and pair.access and pair.refresh
    fresh = module(api, "api.auth.auth_token_refresh_create").sync(
        client=anonymous, body=models.TokenRefreshRequest(refresh=pair.refresh)
    )
    assert fresh.access and fresh.refresh and fresh.refresh != pair.refresh
    gone = module(api, "api.auth.auth_logout_create").sync_detailed(
        client=anonymous, body=models.LogoutRequest(refresh=fresh.refresh)
    )
    assert gone.status_code == 204

    me = api.AuthenticatedClient(
        base_url=server, token=fresh.access, raise_on_unexpected_status=True
    )
    listed = module(api, "api.shifts.shifts_list").sync(client=me, open_=True)
    assert [s.title for s in listed.results] == ["Wandeling"]
    assert isinstance(listed.results[0].id, int)

    claim = module(api, "api.shifts.shifts_claim_create").sync(client=me, shift_id=open_shift.pk)
    assert isinstance(claim, models.Claim) and claim.status.value == "confirmed"
    assert claim.address == open_shift.address  # confirmed: where to go is shown
    refused = module(api, "api.shifts.shifts_claim_create").sync(client=me, shift_id=full.pk)
    assert isinstance(refused, models.Error) and refused.code == "shift_full"
    # The operation's codes are an enum the app can switch on; Error.code stays a string, so
    # a code newer than the app's schema does not break parsing.
    codes = models.ShiftsClaimCreateErrorCode
    assert codes(refused.code) is codes.SHIFT_FULL
    assert {"claims_not_open", "not_member", "throttled"} <= {c.value for c in codes}

    links = module(api, "api.me.me_calendar_retrieve").sync(client=me)
    token = links.my_shifts.rstrip("/").split("/")[-2]
    feed = module(api, "api.calendar.calendar_shifts_ics_retrieve").sync_detailed(
        client=anonymous, token=token
    )
    assert feed.status_code == 200 and b"BEGIN:VCALENDAR" in feed.content
    assert b"Wandeling" in feed.content

    cancelled = module(api, "api.shifts.shifts_claim_destroy").sync(
        client=me, shift_id=open_shift.pk
    )
    assert cancelled.status.value == "cancelled"
    nothing = module(api, "api.shifts.shifts_claim_destroy").sync(client=me, shift_id=full.pk)
    assert isinstance(nothing, models.Error) and nothing.code == "no_claim"
    bad = module(api, "api.shifts.shifts_list").sync_detailed(client=me, page_size=0)
    assert bad.status_code == 400 and isinstance(bad.parsed, models.Error)
    assert "page_size" in bad.parsed.fields.additional_properties

    # Belgian volunteer law (issue 13): the organisation now has an information note; the
    # next claim asks for it, the app reads it, acknowledges the version it read, claims.
    from backend.organisations.info_note import info_note_write
    from backend.organisations.models import Role
    from tests.factories import MembershipFactory, ensure_allowance_caps

    ensure_allowance_caps()
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    info_note_write(
        actor=admin,
        organisation_id=organisation.pk,
        purpose="Gezelschap voor de bewoners.",
        legal_form="non_profit",
        insurer="Ethias",
        policy_number="45.123.456",
    )
    later = shift_at(organisation, starts_in=dt.timedelta(days=7), title="Voorlezen")
    asked = module(api, "api.shifts.shifts_claim_create").sync(client=me, shift_id=later.pk)
    assert isinstance(asked, models.Error) and asked.code == "info_note_required"
    assert codes(asked.code) is codes.INFO_NOTE_REQUIRED
    note = module(api, "api.organisations.organisations_info_note_retrieve").sync(
        client=me, organisation_id=organisation.pk
    )
    assert note.insurer == "Ethias" and note.up_to_date is False and note.version == 1
    read = module(api, "api.organisations.organisations_info_note_acknowledge_create").sync(
        client=me,
        organisation_id=organisation.pk,
        body=models.AcknowledgeRequest(version=note.version),
    )
    assert read.up_to_date is True and read.acknowledged_version == 1
    claimed = module(api, "api.shifts.shifts_claim_create").sync(client=me, shift_id=later.pk)
    assert isinstance(claimed, models.Claim) and claimed.status.value == "confirmed"
    mine = module(api, "api.me.me_allowance_retrieve").sync(client=me)
    assert mine.cap.year == mine.year and mine.remaining == mine.cap.yearly
    caps = module(api, "api.allowance_caps.allowance_caps_list").sync(client=me)
    assert {c.year for c in caps} >= {2024, 2025, 2026}

    # Stand-ins (issue 14): the volunteer cannot come after all and asks for a stand-in; a
    # second volunteer's app lists the request and takes over; a second tap is told it is taken.
    from backend.organisations.info_note import info_note_acknowledge

    other = MembershipFactory(organisation=organisation, role=Role.VOLUNTEER).user
    other.set_password(PASSWORD)
    other.save()
    info_note_acknowledge(user=other, organisation_id=organisation.pk, version=1, channel="app")
    their_pair = module(api, "api.auth.auth_token_create").sync(
        client=anonymous, body=models.EmailTokenRequest(email=other.email, password=PASSWORD)
    )
    them = api.AuthenticatedClient(
        base_url=server, token=their_pair.access, raise_on_unexpected_status=True
    )
    request = module(api, "api.claims.claims_stand_in_create").sync(client=me, claim_id=claimed.id)
    assert isinstance(request, models.StandInRequest) and request.status.value == "open"
    [offered] = module(api, "api.me.me_stand_in_requests_list").sync(client=them)
    assert offered.id == request.id and offered.shift.title == "Voorlezen"
    assert offered.shift.address is None  # not theirs yet
    taken = module(api, "api.stand_in_requests.stand_in_requests_accept_create").sync(
        client=them, request_id=offered.id
    )
    assert isinstance(taken, models.Claim) and taken.status.value == "confirmed"
    assert taken.address == later.address
    again = module(api, "api.stand_in_requests.stand_in_requests_accept_create").sync(
        client=them, request_id=offered.id
    )
    assert isinstance(again, models.Claim) and again.id == taken.id  # a second tap: theirs
    late = module(api, "api.stand_in_requests.stand_in_requests_accept_create").sync(
        client=me, request_id=offered.id
    )
    assert isinstance(late, models.Error) and late.code == "not_found"  # never asked
    handed = module(api, "api.me.me_claims_list").sync(client=me)
    assert {c.shift: c.status.value for c in handed.results}[later.pk] == "cancelled"

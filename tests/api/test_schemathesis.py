"""schemathesis against the live production web process: every operation of the OpenAPI
schema, with generated valid and invalid input, as a coordinator. No answer may be a server
error, and every answer must match what the schema says (status, media type, body).

Bounded for CI: a fixed seed (a failure can be replayed) and a few examples per operation,
in about a minute. Run ``st run`` by hand with more examples and other seeds to look further.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from backend.organisations.models import Role
from backend.shifts.models import Claim, ClaimStatus
from backend.shifts.services import claim_create
from tests.factories import MembershipFactory, OrganisationFactory, shift_at
from tests.faults.servers import running_web

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

UNLIMITED = "100000/min"


def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_schema(
    tmp_path: Path,
) -> None:
    organisation = OrganisationFactory()
    coordinator = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    volunteers = [
        MembershipFactory(organisation=organisation, role=Role.VOLUNTEER).user for _ in range(3)
    ]
    for days in (1, 2, 3):
        shift = shift_at(organisation, starts_in=dt.timedelta(days=days), capacity=1)
        for volunteer in volunteers[:2]:
            claim_create(volunteer=volunteer, shift_id=shift.pk)
    past = shift_at(organisation, starts_in=-dt.timedelta(days=1))
    Claim.objects.create(shift=past, volunteer=coordinator, status=ClaimStatus.COMPLETED)
    token = str(AccessToken.for_user(coordinator))
    st = Path(sys.executable).with_name("st")
    limits = {
        name: UNLIMITED
        for name in (
            "THROTTLE_LOGIN_ADDRESS",
            "THROTTLE_LOGIN_ACCOUNT",
            "THROTTLE_PASSWORD_RESET_ADDRESS",
            "THROTTLE_PASSWORD_RESET_ACCOUNT",
            "THROTTLE_EMAIL_CHANGE",
        )
    }
    with running_web(processes=2, **limits) as url:
        result = subprocess.run(
            [
                str(st),
                "run",
                f"{url}/api/schema/",
                "--checks",
                "not_a_server_error,response_schema_conformance",
                "-H",
                f"Authorization: Bearer {token}",
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                "5",
                "--seed",
                "20261201",
                "--workers",
                "2",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
        )
    report = result.stdout[-20000:]
    assert result.returncode == 0, report
    assert "Tested:" in report

"""Fixtures for the coordinators' toolkit tests (check-in, figures, privacy, planning)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from backend.organisations.models import Organisation
from backend.shifts.models import Shift
from tests.backend.conftest import fast_password_hashing, listener  # noqa: F401 (fixtures)
from tests.factories import ShiftFactory


def shift_at(
    organisation: Organisation,
    *,
    starts_in: dt.timedelta = dt.timedelta(days=2),
    hours: float = 2,
    **fields: Any,
) -> Shift:
    """A published on-site shift starting ``starts_in`` from now, built without the services."""
    starts_at = (timezone.now() + starts_in).replace(microsecond=0)
    return ShiftFactory(
        organisation=organisation,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=hours),
        **fields,
    )


@pytest.fixture
def no_throttle(settings: Any) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}

"""Fixtures for the coordinators' toolkit tests (check-in, figures, privacy, planning)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.backend.conftest import listener  # noqa: F401 (fixture)
from tests.factories import ShiftFactory, shift_at  # noqa: F401 (re-exported)


@pytest.fixture
def no_throttle(settings: Any) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}

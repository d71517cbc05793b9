"""Fixtures for the coordinators' toolkit tests (check-in, figures, privacy, planning)."""

from __future__ import annotations

from tests.backend.conftest import listener  # noqa: F401 (fixture)
from tests.factories import ShiftFactory, shift_at  # noqa: F401 (re-exported)

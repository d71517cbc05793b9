"""Board test fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _reset_board_login_failures() -> Iterator[None]:
    """Test clients log in from 127.0.0.1: failures counted in one test (in Redis, when
    REDIS_URL is set) must not lock the next test out."""
    yield
    cache.delete("board_login_failures_127.0.0.1")

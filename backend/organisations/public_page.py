"""The public page of an organisation (``/o/<slug>/``, ``backend/board/views/public.py``):
what it shows is read once and kept in the shared cache, so a busy page costs the database
nothing per view. The cache entry's key carries a generation number per organisation that
any change the page shows moves on, after commit: a public shift published, changed,
cancelled or claimed (``backend/shifts/services/publishing.py``), and the page's settings.
Entries also expire after ``TTL_SECONDS``, the bound on staleness should a change not pass
through those paths (a bulk import, a lost Redis write).
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction

from backend.core.rate_limits import SHARED_CACHE_ERRORS

logger = logging.getLogger(__name__)

TTL_SECONDS = 120


def _generation_key(organisation_id: int) -> str:
    return f"public-page:generation:{organisation_id}"


def page_key(organisation_id: int, language: str) -> str | None:
    """The cache key of the page as it is now, in ``language`` (None without the cache)."""
    try:
        generation = cache.get(_generation_key(organisation_id), 0)
    except SHARED_CACHE_ERRORS as error:
        logger.warning("public page generation unreadable: %s", error)
        return None
    return f"public-page:{organisation_id}:{generation}:{language}"


def _bump(organisation_id: int) -> None:
    key = _generation_key(organisation_id)
    try:
        try:
            cache.incr(key)
        except ValueError:  # no generation yet
            cache.set(key, 1, timeout=None)
    except SHARED_CACHE_ERRORS as error:
        logger.warning("public page of organisation %s not refreshed: %s", organisation_id, error)


def public_page_changed(organisation_id: int) -> None:
    """What the page shows changed: the next view reads it again (after commit)."""
    transaction.on_commit(lambda: _bump(organisation_id))

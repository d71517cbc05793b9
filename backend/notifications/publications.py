"""A shift's publication as a row, written by the shift services in their own transaction.

One internal ``shift_published`` row per published shift (its key is the shift's: a shift is
published once). It is two things: the worker's job of suggesting the shift to the volunteers
who could claim it (``backend/notifications/new_shifts.py``: ``shift.suggested`` on their
``ws/v1/me/`` streams), and the record of when the shift was published, which the weekly
digest counts from (``backend/notifications/digest.py``; the shift has no such field).

Only models are imported here: the shift services import this module.
"""

from __future__ import annotations

import datetime as dt

from backend.notifications.models import Kind, Notification
from backend.shifts.models import Shift


def record_shift_published(*, shift: Shift, now: dt.datetime) -> None:
    """One INSERT, ``ON CONFLICT DO NOTHING``: a rolled-back publication leaves nothing."""
    Notification.objects.bulk_create(
        [
            Notification(
                key=f"published:{shift.pk}",
                kind=Kind.SHIFT_PUBLISHED,
                organisation_id=shift.organisation_id,
                user=None,
                shift_id=shift.pk,
                shift_starts_at=shift.starts_at,
                scheduled_for=now,
                due_at=now,
                created_at=now,
            )
        ],
        ignore_conflicts=True,
    )

"""When a volunteer may check in and out: pure rules on a shift's times, with no database
access, so that the services (which enforce them) and the offers of the bot and the cockpit
(which only show the buttons that can work) read the same rule."""

from __future__ import annotations

import datetime as dt

from backend.shifts.models import Shift

# A volunteer can check in from this long before their shift starts.
CHECK_IN_EARLY = dt.timedelta(minutes=30)


def check_in_open(*, shift: Shift, now: dt.datetime) -> bool:
    """Whether a volunteer may check themself in on ``shift`` now."""
    return shift.starts_at - CHECK_IN_EARLY <= now <= shift.ends_at


def check_out_open(*, shift: Shift, now: dt.datetime) -> bool:
    """Whether a checked-in volunteer may check out now: once the shift has started (leaving
    before it is a cancellation, not hours)."""
    return now >= shift.starts_at

"""Every state change of shifts and claims. Adapters (API, bot, consumers, worker) call these.

One module per concern; everything is re-exported here, so callers import from
``backend.shifts.services``:

- ``shifts``: creating, changing, publishing and cancelling a shift;
- ``claims``: claiming a seat or a place on the waitlist, cancelling (``claim_create``,
  ``claim_cancel``);
- ``waitlist``: promotion, first come first served, within the caller's transaction;
- ``eligibility``: who may hold a seat (shared by claiming, promotion, the bot, broadcasts);
- ``attendance``: check-in, check-out, attendance, no-shows;
- ``coordination``: a coordinator putting a member on a shift, or calling for help;
- ``planning``: recurring series and copying a week;
- ``stand_ins``: a volunteer who cannot come asks others, in waves, to take over their seat;
- ``swaps``: two volunteers exchange their confirmed claims;
- ``publishing``: the events each change publishes after commit.

Concurrency, in short (each lock is explained where it is taken):
- a volunteer's own claims run one at a time (row lock on their profile);
- a seat is taken with one conditional UPDATE of ``Shift.confirmed_count`` (``WHERE
  confirmed_count < capacity``), and the database CHECK keeps the counter within capacity;
- releasing a seat, promoting from the waitlist and changing a shift lock the shift row,
  after the profiles of everyone on its waitlist (promotion judges them);
- every lock is taken through ``backend.shifts.locks``, in the one order documented there, and
  services that lock run in ``transaction_retrying`` (contention becomes ``Busy``, not a 500).
"""

from backend.shifts.services.attendance import (
    CHECK_OUT_GRACE,
    claim_check_in,
    claim_check_out,
    claim_confirm_attendance,
    claim_mark_no_show,
    shift_record_attendance,
)
from backend.shifts.services.claims import (
    ClaimResult,
    cancellation_is_late,
    claim_cancel,
    claim_create,
)
from backend.shifts.services.coordination import shift_add_member, shift_call_for_help
from backend.shifts.services.eligibility import (
    Eligibility,
    Facts,
    eligibility_error,
    membership_error,
    overlapping_claims,
    shift_local_date,
)
from backend.shifts.services.planning import (
    MAX_SERIES_OCCURRENCES,
    SERIES_RULE_FIELDS,
    SERIES_TEMPLATE_FIELDS,
    SERIES_TIME_FIELDS,
    WeekCopy,
    local_times,
    series_cancel,
    series_create,
    series_dates,
    series_occurrence_dates,
    series_update,
    shifts_copy_week,
    week_copy,
    week_start,
)
from backend.shifts.services.shifts import (
    EDITABLE_FIELDS,
    MAX_SHIFT_LENGTH,
    shift_cancel,
    shift_create,
    shift_field_errors,
    shift_publish,
    shift_update,
)
from backend.shifts.services.stand_ins import (
    AskedRequest,
    HandOverOptions,
    hand_over_options,
    open_stand_in,
    stand_in_accept,
    stand_in_alerts_send,
    stand_in_ask,
    stand_in_deadline,
    stand_in_decline,
    stand_in_waves_send,
    stand_in_withdraw,
    stand_ins_asked_of,
)
from backend.shifts.services.swaps import (
    swap_accept,
    swap_decline,
    swap_propose,
    swap_targets,
    swap_withdraw,
    swaps_offered_to,
)
from backend.shifts.timing import CHECK_IN_EARLY, check_in_open, check_out_open

__all__ = [
    "CHECK_IN_EARLY",
    "CHECK_OUT_GRACE",
    "EDITABLE_FIELDS",
    "MAX_SERIES_OCCURRENCES",
    "MAX_SHIFT_LENGTH",
    "SERIES_RULE_FIELDS",
    "SERIES_TEMPLATE_FIELDS",
    "SERIES_TIME_FIELDS",
    "AskedRequest",
    "ClaimResult",
    "Eligibility",
    "Facts",
    "HandOverOptions",
    "WeekCopy",
    "cancellation_is_late",
    "check_in_open",
    "check_out_open",
    "claim_cancel",
    "claim_check_in",
    "claim_check_out",
    "claim_confirm_attendance",
    "claim_create",
    "claim_mark_no_show",
    "eligibility_error",
    "hand_over_options",
    "local_times",
    "membership_error",
    "open_stand_in",
    "overlapping_claims",
    "series_cancel",
    "series_create",
    "series_dates",
    "series_occurrence_dates",
    "series_update",
    "shift_add_member",
    "shift_call_for_help",
    "shift_cancel",
    "shift_create",
    "shift_field_errors",
    "shift_local_date",
    "shift_publish",
    "shift_record_attendance",
    "shift_update",
    "shifts_copy_week",
    "stand_in_accept",
    "stand_in_alerts_send",
    "stand_in_ask",
    "stand_in_deadline",
    "stand_in_decline",
    "stand_in_waves_send",
    "stand_in_withdraw",
    "stand_ins_asked_of",
    "swap_accept",
    "swap_decline",
    "swap_propose",
    "swap_targets",
    "swap_withdraw",
    "swaps_offered_to",
    "week_copy",
    "week_start",
]

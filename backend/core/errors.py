"""The one hierarchy of domain errors.

Each error has a stable machine-readable ``code`` and a translatable human ``detail``. The
API renders them as JSON (backend/api/errors.py), the bot as a sentence in the volunteer's
language, the websocket consumers as ``{"type": "error", "code": ...}``.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from django.db import InterfaceError, OperationalError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)


class DomainError(Exception):
    code: ClassVar[str] = "error"
    default_detail: ClassVar[str | Promise] = _("The request could not be carried out.")
    # HTTP status the API uses for this error; adapters without HTTP ignore it.
    status: ClassVar[int] = 400
    # Seconds after which trying again may work (the API's Retry-After); None: not a pause.
    retry_after: int | None = None

    def __init__(
        self, detail: str | Promise | None = None, *, fields: dict[str, list[str]] | None = None
    ) -> None:
        self.detail = detail if detail is not None else self.default_detail
        self.fields = fields or {}
        super().__init__(str(self.detail))


class ValidationFailed(DomainError):
    code = "invalid"
    default_detail = _("Some fields are not valid.")
    status = 400


class NotFound(DomainError):
    code = "not_found"
    default_detail = _("Not found.")
    status = 404


class NoClaim(NotFound):
    """The shift exists for the asker, but they have no claim on it."""

    code = "no_claim"
    default_detail = _("You have no claim on this shift.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    default_detail = _("You are not allowed to do this.")
    status = 403


class WrongPassword(DomainError):
    """Asked again for the password (to change it, or to erase the account): not this one."""

    code = "wrong_password"
    default_detail = _("That is not your password.")
    status = 403


class Conflict(DomainError):
    status = 409


class ShiftFull(Conflict):
    code = "shift_full"
    default_detail = _("This shift is full.")


class Overlap(Conflict):
    code = "overlap"
    default_detail = _("You already have a shift at that time.")


class NotQualified(Conflict):
    code = "not_qualified"
    default_detail = _("This shift needs a qualification you do not have (yet).")


class ShiftStarted(Conflict):
    code = "shift_started"
    default_detail = _("This shift has already started.")


class ShiftNotOpen(Conflict):
    code = "shift_not_open"
    default_detail = _("This shift is not open for claims.")


class NotMember(DomainError):
    code = "not_member"
    default_detail = _("Only members of this organisation can claim this shift.")
    status = 403


class TooManyClaims(Conflict):
    code = "too_many_claims"
    default_detail = _("You have reached the maximum number of upcoming shifts.")


class CapacityBelowConfirmed(Conflict):
    code = "capacity_below_confirmed"
    default_detail = _("The capacity cannot be lower than the number of confirmed volunteers.")


class ClaimNotActive(Conflict):
    code = "claim_not_active"
    default_detail = _("This claim is not active any more.")


class ShiftNotEditable(Conflict):
    code = "shift_not_editable"
    default_detail = _("A cancelled or past shift cannot be changed.")


class InvalidInviteCode(DomainError):
    code = "invalid_invite_code"
    default_detail = _("This invite code is not valid or has expired.")
    status = 400


class InvalidLink(DomainError):
    """A link from an e-mail (a password reset, a new address to confirm) that is malformed,
    has expired or was used already."""

    code = "invalid_link"
    default_detail = _("This link is not valid any more. Ask for a new one.")
    status = 400


class EmailTaken(Conflict):
    code = "email_taken"
    default_detail = _("Another account uses this e-mail address.")


class ClaimsNotOpen(Conflict):
    code = "claims_not_open"
    default_detail = _("Claims for this shift are not open yet.")


class ClaimBlocked(Conflict):
    code = "claim_blocked"
    default_detail = _(
        "You missed too many shifts of this organisation without notice. A coordinator has to "
        "clear this before you can claim shifts again."
    )


class InfoNoteRequired(Conflict):
    """Belgian volunteer law: before a first claim in an organisation (and after a material
    change of its information note) the volunteer acknowledges the current version
    (``GET`` and ``POST .../info-note/acknowledge/`` of the shift's organisation)."""

    code = "info_note_required"
    default_detail = _(
        "Please read this organisation's information note and confirm you have read it first."
    )


class InfoNoteChanged(Conflict):
    """The version acknowledged is not the current one any more: a newer one was written
    since the volunteer opened it."""

    code = "info_note_changed"
    default_detail = _(
        "The information note was changed since you opened it. Please read the new version."
    )


class InfoNoteIncomplete(Conflict):
    code = "info_note_incomplete"
    default_detail = _(
        "Shifts can be published once the information note names the civil-liability "
        "insurance (insurer and policy number)."
    )


class TooYoung(Conflict):
    code = "too_young"
    default_detail = _(
        "Volunteers must be at least 16 on the day of the shift, or 15 having completed the "
        "first two years of secondary school."
    )

    @classmethod
    def below(cls, min_age: int) -> TooYoung:
        return cls(
            ngettext(
                "This shift asks volunteers to be at least %(age)d year old on its day.",
                "This shift asks volunteers to be at least %(age)d years old on its day.",
                min_age,
            )
            % {"age": min_age}
        )


class BirthDateRequired(Conflict):
    code = "birth_date_required"
    default_detail = _("Please give your date of birth first: this shift has an age limit.")


class AllowanceCapExceeded(Conflict):
    """The volunteer allowance would pass a legal cap (per day, per year, or the kilometres
    that may go with a flat-rate allowance). The detail says what is still possible."""

    code = "allowance_cap_exceeded"
    default_detail = _("This amount would pass the legal cap of the volunteer allowance.")

    @classmethod
    def amount(cls, room: object) -> AllowanceCapExceeded:
        return cls(
            _(
                "This amount would pass the legal cap of the volunteer allowance. At most "
                "%(room)s euro is still possible."
            )
            % {"room": room}
        )

    @classmethod
    def kilometres(cls, room: object) -> AllowanceCapExceeded:
        return cls(
            _(
                "With a flat-rate allowance, transport costs are allowed for 2,000 km a year. "
                "At most %(room)s km is still possible."
            )
            % {"room": room}
        )


class AllowanceRegimeConflict(Conflict):
    code = "allowance_regime_conflict"
    default_detail = _(
        "A volunteer gets either flat-rate allowances or real costs in one calendar year, not "
        "both (transport by kilometre goes with either)."
    )


class StandInTooLate(Conflict):
    """Asking for a stand-in closes a while before the start (the organisation's setting);
    after it, the volunteer cancels as usual."""

    code = "stand_in_too_late"
    default_detail = _(
        "It is too late to ask for a stand-in for this shift; cancel it if you cannot come."
    )


class StandInTaken(Conflict):
    code = "stand_in_taken"
    default_detail = _("Someone else has already taken over this shift. Thank you anyway!")


class StandInClosed(Conflict):
    """Withdrawn by the volunteer who asked, their claim cancelled, or the shift started."""

    code = "stand_in_closed"
    default_detail = _("This request for a stand-in is no longer open.")


class SwapClosed(Conflict):
    code = "swap_closed"
    default_detail = _("This swap is no longer possible.")


class SwapNotPossible(Conflict):
    code = "swap_not_possible"
    default_detail = _("These two shifts cannot be swapped.")


class CheckInNotPossible(Conflict):
    code = "check_in_not_possible"
    default_detail = _("You can check in only on a confirmed shift, from shortly before it starts.")


class ShiftNotStarted(Conflict):
    code = "shift_not_started"
    default_detail = _("You can check out once the shift has started.")


class NotCheckedIn(Conflict):
    code = "not_checked_in"
    default_detail = _("Check in before you check out.")


class ShiftNotEnded(Conflict):
    code = "shift_not_ended"
    default_detail = _("This can only be done after the shift has ended.")


class FollowUpAlreadyHandled(Conflict):
    code = "follow_up_handled"
    default_detail = _("This follow-up has already been handled.")


class Busy(DomainError):
    """Others were changing the same rows: a lock was not granted in time, or PostgreSQL broke
    a deadlock by aborting us. Nothing was changed; the same request again will work."""

    code = "busy"
    default_detail = _("It is very busy right now. Nothing was changed; please try again.")
    status = 503
    retry_after = 1


def wait_text(seconds: int) -> str:
    """ "Too many attempts. Try again in 40 seconds." (minutes from 90 seconds on)."""
    if seconds < 90:
        return ngettext(
            "Too many attempts. Try again in %(count)d second.",
            "Too many attempts. Try again in %(count)d seconds.",
            seconds,
        ) % {"count": seconds}
    minutes = -(-seconds // 60)
    return ngettext(
        "Too many attempts. Try again in %(count)d minute.",
        "Too many attempts. Try again in %(count)d minutes.",
        minutes,
    ) % {"count": minutes}


class TooManyRequests(DomainError):
    """A rate limit (``backend.core.rate_limits``) is used up; it lifts after ``retry_after``
    seconds."""

    code = "throttled"
    default_detail = _("Too many requests. Wait a moment and try again.")
    status = 429

    def __init__(self, retry_after: int, detail: str | Promise | None = None) -> None:
        if detail is None:
            detail = wait_text(retry_after)
        super().__init__(detail)
        self.retry_after = retry_after


class DatabaseUnavailable(DomainError):
    """The database connection was lost (failover, restart). Nothing was changed."""

    code = "database_unavailable"
    default_detail = _(
        "The database cannot be reached right now. Nothing was changed; please try again."
    )
    status = 503
    retry_after = 2


# SQLSTATEs of contention: deadlock_detected, serialization_failure, lock_not_available.
DEADLOCK = "40P01"
SERIALIZATION_FAILURE = "40001"
LOCK_NOT_AVAILABLE = "55P03"
CONTENTION = {DEADLOCK, SERIALIZATION_FAILURE, LOCK_NOT_AVAILABLE}


def sqlstate(error: BaseException) -> str | None:
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)


def is_contention(error: BaseException) -> bool:
    return isinstance(error, OperationalError) and sqlstate(error) in CONTENTION


def database_error(exc: BaseException) -> DomainError | None:
    """The domain error a database failure means to a client, or None if it is a bug.

    Contention that reached here (outside ``transaction_retrying``) is ``busy``; a lost
    connection (failover, restart, ``pg_terminate_backend``) is ``database_unavailable``: the
    pool drops the dead connection, and tests each one it hands out (``CONN_HEALTH_CHECKS``),
    so the next request gets a live one.
    """
    if not isinstance(exc, OperationalError | InterfaceError):
        return None
    if is_contention(exc):
        return Busy()
    logger.warning("database unavailable: %s", type(exc.__cause__ or exc).__name__)
    return DatabaseUnavailable()

"""The one hierarchy of domain errors.

Each error has a stable machine-readable ``code`` and a translatable human ``detail``. The
API renders them as JSON (backend/api/errors.py), the bot as a sentence in the volunteer's
language, the websocket consumers as ``{"type": "error", "code": ...}``.
"""

from __future__ import annotations

from typing import ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code: ClassVar[str] = "error"
    default_detail: ClassVar[str | Promise] = _("The request could not be carried out.")
    # HTTP status the API uses for this error; adapters without HTTP ignore it.
    status: ClassVar[int] = 400

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


class PermissionDenied(DomainError):
    code = "permission_denied"
    default_detail = _("You are not allowed to do this.")
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


class ClaimsNotOpen(Conflict):
    code = "claims_not_open"
    default_detail = _("Claims for this shift are not open yet.")


class ClaimBlocked(Conflict):
    code = "claim_blocked"
    default_detail = _(
        "You missed too many shifts of this organisation without notice. A coordinator has to "
        "clear this before you can claim shifts again."
    )


class CheckInNotPossible(Conflict):
    code = "check_in_not_possible"
    default_detail = _("You can check in only on a confirmed shift, from shortly before it starts.")


class NotCheckedIn(Conflict):
    code = "not_checked_in"
    default_detail = _("Check in before you check out.")


class ShiftNotEnded(Conflict):
    code = "shift_not_ended"
    default_detail = _("This can only be done after the shift has ended.")

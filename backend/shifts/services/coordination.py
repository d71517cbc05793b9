"""What a coordinator does for a shift from its detail panel: put a member on it, or call for
help to fill it. Both hand over to the services everyone else uses (``claim_create``,
``shift_broadcast``), so every rule of claiming and broadcasting holds here too."""

from __future__ import annotations

from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.core.errors import (
    ClaimBlocked,
    DomainError,
    NotFound,
    NotMember,
    NotQualified,
    Overlap,
    TooManyClaims,
)
from backend.organisations.models import Membership
from backend.organisations.selectors import require_manager
from backend.shifts.models import Shift
from backend.shifts.services.claims import ClaimResult, claim_create


def _member_name(user_id: int, organisation_id: int) -> str | None:
    """The member's display name, or None when they are not a member of the organisation."""
    row = (
        Membership.objects.filter(user_id=user_id, organisation_id=organisation_id)
        .values_list("user__profile__display_name", "user__email")
        .first()
    )
    if row is None:
        return None
    return row[0] or row[1] or _("this volunteer")


def _said_of(error: DomainError, name: str) -> DomainError:
    """The refusals ``claim_create`` words for the volunteer claiming ("you ..."), reworded
    for the coordinator who asked on their behalf; the others already fit."""
    values = {"name": name}
    if isinstance(error, Overlap):
        return Overlap(_("%(name)s already has a shift at that time.") % values)
    if isinstance(error, NotQualified):
        return NotQualified(_("%(name)s lacks a qualification this shift needs.") % values)
    if isinstance(error, TooManyClaims):
        return TooManyClaims(
            _("%(name)s has reached the maximum number of upcoming shifts.") % values
        )
    if isinstance(error, ClaimBlocked):
        return ClaimBlocked(
            _(
                "%(name)s missed too many shifts without notice; clear the block on the "
                "People page first."
            )
            % values
        )
    return error


def shift_add_member(*, actor: User, shift_id: int, user_id: int) -> ClaimResult:
    """A coordinator puts a member of the organisation on a shift: a seat if one is free,
    else the waitlist, exactly as if the member had claimed it themself (``claim_create``).
    Already on it: their claim, with ``created=False``."""
    organisation_id = (
        Shift.objects.filter(pk=shift_id).values_list("organisation_id", flat=True).first()
    )
    if organisation_id is None:
        raise NotFound()
    require_manager(user=actor, organisation_id=organisation_id)
    name = _member_name(user_id, organisation_id)
    if name is None:
        raise NotMember(_("Only members of this organisation can be added to its shifts."))
    member = User.objects.get(pk=user_id)
    try:
        return claim_create(volunteer=member, shift_id=shift_id)
    except DomainError as error:
        raise _said_of(error, name) from error


def shift_call_for_help(*, actor: User, shift_id: int, text: str) -> int:
    """An urgent call to fill a shift: ``shift_broadcast`` to the members who could claim it
    (refused there for a full shift without a waitlist, where nobody could answer it). The
    number of members newly asked."""
    # Imported here: the notifications services import this package (eligibility, check-in),
    # so importing them while it loads would be circular.
    from backend.notifications.services import shift_broadcast

    return shift_broadcast(actor=actor, shift_id=shift_id, text=text)

"""Reads about organisations and who may do what in them."""

from __future__ import annotations

from django.db.models import QuerySet

from backend.accounts.models import User
from backend.core.errors import PermissionDenied
from backend.organisations.models import MANAGER_ROLES, Membership, Organisation


def membership_role(*, user: User, organisation_id: int) -> str | None:
    return (
        Membership.objects.filter(user_id=user.pk, organisation_id=organisation_id)
        .values_list("role", flat=True)
        .first()
    )


def is_manager(*, user: User, organisation_id: int) -> bool:
    return membership_role(user=user, organisation_id=organisation_id) in MANAGER_ROLES


def require_manager(*, user: User, organisation_id: int) -> None:
    """Coordinators and admins of the organisation (and staff, for support) may manage it."""
    if user.is_staff:
        return
    if not is_manager(user=user, organisation_id=organisation_id):
        raise PermissionDenied()


def organisations_of(*, user: User) -> QuerySet[Organisation]:
    return Organisation.objects.filter(memberships__user=user).distinct().order_by("name")


def managed_organisation_ids(*, user: User) -> QuerySet[Membership, int]:
    return Membership.objects.filter(user=user, role__in=MANAGER_ROLES).values_list(
        "organisation_id", flat=True
    )

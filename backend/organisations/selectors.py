"""Reads about organisations and who may do what in them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from backend.accounts.models import User
from backend.core.errors import NotFound, PermissionDenied
from backend.organisations.models import MANAGER_ROLES, Membership, Organisation, Role


def membership_role(*, user: User, organisation_id: int) -> str | None:
    return (
        Membership.objects.filter(user_id=user.pk, organisation_id=organisation_id)
        .values_list("role", flat=True)
        .first()
    )


# The access helpers: "may this person manage (administer) this organisation?" has one answer,
# asked by the API, the board page, the board's websocket and the services alike. Staff (Django
# admin users, for support) may manage every organisation; a deactivated or erased account
# manages nothing, whatever its memberships say.


def may_manage(*, user: User, organisation_id: int) -> bool:
    """Coordinators and admins of the organisation, and staff."""
    if not user.is_active:
        return False
    if user.is_staff:
        return True
    return membership_role(user=user, organisation_id=organisation_id) in MANAGER_ROLES


def may_administer(*, user: User, organisation_id: int) -> bool:
    """Admins of the organisation (its settings, admin invites and roles), and staff."""
    if not user.is_active:
        return False
    if user.is_staff:
        return True
    return membership_role(user=user, organisation_id=organisation_id) == Role.ADMIN


def require_manager(*, user: User, organisation_id: int) -> None:
    if not may_manage(user=user, organisation_id=organisation_id):
        raise PermissionDenied()


def access_organisation(*, user: User, organisation_id: int, manage: bool = False) -> Organisation:
    """The organisation, if ``user`` belongs to it (or is staff); else ``NotFound``, so that
    outsiders do not learn which organisations exist. With ``manage``, a member who may not
    manage it gets ``PermissionDenied``."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None or not user.is_active:
        raise NotFound()
    if not user.is_staff and membership_role(user=user, organisation_id=organisation_id) is None:
        raise NotFound()
    if manage:
        require_manager(user=user, organisation_id=organisation_id)
    return organisation


def organisations_of(*, user: User) -> QuerySet[Organisation]:
    return Organisation.objects.filter(memberships__user=user).distinct().order_by("name")


def managed_organisation_ids(*, user: User) -> QuerySet[Any, int]:
    """The ids of the organisations ``user`` may manage (``may_manage``), as a subquery."""
    if not user.is_active:
        return Organisation.objects.none().values_list("pk", flat=True)
    if user.is_staff:
        return Organisation.objects.values_list("pk", flat=True)
    return Membership.objects.filter(user=user, role__in=MANAGER_ROLES).values_list(
        "organisation_id", flat=True
    )

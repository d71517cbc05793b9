"""Reads about organisations and who may do what in them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, F, Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from backend.accounts.benefits import objection_ends_on
from backend.accounts.models import Benefit, User
from backend.core.errors import NotFound, PermissionDenied
from backend.organisations.models import (
    MANAGER_ROLES,
    InviteCode,
    Membership,
    Organisation,
    Qualification,
    Role,
    VolunteerQualification,
)


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


def admin_names(*, organisation: Organisation) -> list[str]:
    """The display names of an organisation's admins, sorted (who to ask for admin work)."""
    names = Membership.objects.filter(organisation=organisation, role=Role.ADMIN).values_list(
        "user__profile__display_name", "user__email"
    )
    return sorted((str(name or email) for name, email in names), key=str.casefold)


def require_manager(*, user: User, organisation_id: int) -> None:
    if not may_manage(user=user, organisation_id=organisation_id):
        raise PermissionDenied()


def require_admin(*, user: User, organisation_id: int, detail: str | None = None) -> None:
    if not may_administer(user=user, organisation_id=organisation_id):
        raise PermissionDenied(detail)


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


def managed_organisation_ids(*, user: User) -> QuerySet[Any, int]:
    """The ids of the organisations ``user`` may manage (``may_manage``), as a subquery."""
    if not user.is_active:
        return Organisation.objects.none().values_list("pk", flat=True)
    if user.is_staff:
        return Organisation.objects.values_list("pk", flat=True)
    return Membership.objects.filter(user=user, role__in=MANAGER_ROLES).values_list(
        "organisation_id", flat=True
    )


def members_of(*, organisation: Organisation, search: str = "", role: str = "") -> list[Membership]:
    """The organisation's members by name, each user with ``held``: the qualifications of
    this organisation they hold (qualification included, by name). Two queries, whatever the
    number of members. ``search`` matches the display name or e-mail address; ``role``
    (one of ``Role``) keeps that role only."""
    members = Membership.objects.filter(organisation=organisation).select_related("user__profile")
    search = search.strip()
    if search:
        members = members.filter(
            Q(user__profile__display_name__icontains=search) | Q(user__email__icontains=search)
        )
    if role in Role.values:
        members = members.filter(role=role)
    return list(
        members.prefetch_related(_held_in(organisation)).order_by(
            Lower("user__profile__display_name"), "pk"
        )
    )


def member_of(*, organisation: Organisation, membership_id: int) -> Membership | None:
    """One membership of the organisation (None for another organisation's), its user with
    ``held`` as in ``members_of``."""
    return (
        Membership.objects.filter(organisation=organisation, pk=membership_id)
        .select_related("user__profile")
        .prefetch_related(_held_in(organisation))
        .first()
    )


def _held_in(organisation: Organisation) -> Prefetch[Any]:
    held = (
        VolunteerQualification.objects.filter(qualification__organisation=organisation)
        .select_related("qualification")
        .order_by(Lower("qualification__name"), "pk")
    )
    return Prefetch("user__qualifications", queryset=held, to_attr="held")


def qualifications_of(*, organisation: Organisation) -> list[Qualification]:
    return list(Qualification.objects.filter(organisation=organisation).order_by(Lower("name")))


def usable_invites_q(now: dt.datetime) -> Q:
    """Invite codes that still let someone join: not revoked, not expired, not used up."""
    return (
        Q(revoked=False)
        & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        & (Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")))
    )


def invites_of(
    *, organisation: Organisation, now: dt.datetime, limit: int = 100
) -> tuple[list[InviteCode], list[InviteCode]]:
    """The organisation's invite codes, newest first: (usable, ended), ``limit`` of each.
    Ended: revoked, expired or used up; a few are kept in view so a coordinator sees why a
    code stopped working."""
    usable = usable_invites_q(now)
    invites = InviteCode.objects.filter(organisation=organisation).order_by("-created_at", "-pk")
    return list(invites.filter(usable)[:limit]), list(invites.exclude(usable)[:limit])


def invite_of(*, organisation: Organisation, invite_id: int, now: dt.datetime) -> InviteCode | None:
    """One invite code of the organisation (None for another's), with ``usable``: whether it
    still lets someone join."""
    usable = ExpressionWrapper(usable_invites_q(now), output_field=BooleanField())
    return (
        InviteCode.objects.filter(organisation=organisation, pk=invite_id)
        .annotate(usable=usable)
        .first()
    )


@dataclass(frozen=True)
class ObjectionRunning:
    """A member on unemployment benefit whose C45B declaration the RVA may still object to."""

    user_id: int
    display_name: str
    handed_in_on: dt.date
    objection_until: dt.date


def c45b_objections_running(
    *, organisation: Organisation, today: dt.date
) -> list[ObjectionRunning]:
    """Members on unemployment benefit within the 12 working days after their C45B, the
    period that ends soonest first. One query."""
    rows = []
    for membership in Membership.objects.filter(
        organisation=organisation,
        user__profile__benefit=Benefit.UNEMPLOYMENT,
        user__profile__c45b_handed_in_on__isnull=False,
    ).select_related("user__profile"):
        handed_in = membership.user.profile.c45b_handed_in_on
        assert handed_in is not None
        until = objection_ends_on(handed_in)
        if today <= until:
            rows.append(
                ObjectionRunning(
                    user_id=membership.user_id,
                    display_name=membership.user.profile.display_name,
                    handed_in_on=handed_in,
                    objection_until=until,
                )
            )
    return sorted(rows, key=lambda r: (r.objection_until, r.display_name.casefold()))

"""Writes on organisations, memberships, invite codes and qualifications."""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.core.errors import InvalidInviteCode, NotFound, PermissionDenied, ValidationFailed
from backend.organisations.models import (
    InviteCode,
    Membership,
    MembershipRoleChange,
    Organisation,
    OrganisationKind,
    Qualification,
    Role,
    VolunteerQualification,
)
from backend.organisations.selectors import may_administer, require_manager
from realtime.events import publish_access_changed_on_commit


def _unique_slug(name: str) -> str:
    base = slugify(name)[:60] or "organisation"
    slug, n = base, 1
    while Organisation.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def organisation_create(
    *,
    creator: User,
    name: str,
    slug: str | None = None,
    time_zone: str = "Europe/Brussels",
    kind: str = OrganisationKind.VOLUNTEER_ORGANISATION,
) -> Organisation:
    """Create an organisation; its creator becomes its first admin."""
    if not name.strip():
        raise ValidationFailed(fields={"name": [_("This field may not be blank.")]})
    if time_zone not in zoneinfo.available_timezones():
        raise ValidationFailed(fields={"time_zone": [_("Unknown time zone.")]})
    if kind not in OrganisationKind.values:
        raise ValidationFailed(fields={"kind": [_("Unknown kind of organisation.")]})
    if slug is not None and Organisation.objects.filter(slug=slug).exists():
        raise ValidationFailed(fields={"slug": [_("This slug is taken.")]})
    organisation = Organisation.objects.create(
        name=name.strip(), slug=slug or _unique_slug(name), time_zone=time_zone, kind=kind
    )
    Membership.objects.create(user=creator, organisation=organisation, role=Role.ADMIN)
    return organisation


def invite_create(
    *,
    actor: User,
    organisation: Organisation,
    role: str = Role.VOLUNTEER,
    valid_for: dt.timedelta | None = dt.timedelta(days=30),
    max_uses: int | None = None,
) -> InviteCode:
    require_manager(user=actor, organisation_id=organisation.pk)
    if role not in Role.values:
        raise ValidationFailed(fields={"role": [_("Unknown role.")]})
    if role == Role.ADMIN and not (may_administer(user=actor, organisation_id=organisation.pk)):
        raise ValidationFailed(fields={"role": [_("Only admins can invite admins.")]})
    return InviteCode.objects.create(
        organisation=organisation,
        code=secrets.token_urlsafe(9),
        role=role,
        created_by=actor,
        expires_at=timezone.now() + valid_for if valid_for else None,
        max_uses=max_uses,
    )


@transaction.atomic
def organisation_join(*, user: User, code: str) -> Membership:
    """Join with an invite code. Joining again keeps the higher of the two roles."""
    now = timezone.now()
    # The conditional update counts the use and checks expiry and the use limit in one step,
    # so a code with max_uses=1 can't be used twice by two people at once.
    usable = (
        Q(code=code, revoked=False)
        & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        & (Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")))
    )
    invite = InviteCode.objects.filter(usable).select_related("organisation").first()
    if (
        invite is None
        or InviteCode.objects.filter(usable, pk=invite.pk).update(uses=F("uses") + 1) != 1
    ):
        raise InvalidInviteCode()
    rank = {Role.VOLUNTEER: 0, Role.COORDINATOR: 1, Role.ADMIN: 2}
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=invite.organisation, defaults={"role": invite.role}
    )
    if not created and rank[Role(invite.role)] > rank[Role(membership.role)]:
        _change_role(membership, invite.role)
    return membership


def _change_role(membership: Membership, role: str) -> None:
    # Figures for past years count members by the role they had then: keep the history.
    MembershipRoleChange.objects.create(
        user_id=membership.user_id,
        organisation_id=membership.organisation_id,
        from_role=membership.role,
        to_role=role,
        changed_at=timezone.now(),
    )
    membership.role = role
    membership.save(update_fields=["role"])


NO_SHOW_LIMIT_RANGE = (1, 20)


@transaction.atomic
def organisation_update(
    *, actor: User, organisation_id: int, no_show_limit: int | None = None
) -> Organisation:
    """Change an organisation's settings: admins of the organisation (and staff) only."""
    organisation = Organisation.objects.select_for_update().filter(pk=organisation_id).first()
    if organisation is None:
        raise NotFound()
    if not may_administer(user=actor, organisation_id=organisation_id):
        raise PermissionDenied(_("Only admins can change the organisation's settings."))
    if no_show_limit is not None:
        low, high = NO_SHOW_LIMIT_RANGE
        if not low <= no_show_limit <= high:
            raise ValidationFailed(fields={"no_show_limit": [_("Give a number from 1 to 20.")]})
        organisation.no_show_limit = no_show_limit
        organisation.save(update_fields=["no_show_limit"])
    return organisation


@transaction.atomic
def membership_set_role(*, actor: User, membership: Membership, role: str) -> Membership:
    require_manager(user=actor, organisation_id=membership.organisation_id)
    if role not in Role.values:
        raise ValidationFailed(fields={"role": [_("Unknown role.")]})
    actor_is_admin = may_administer(user=actor, organisation_id=membership.organisation_id)
    if Role.ADMIN in (role, membership.role) and not actor_is_admin:
        raise ValidationFailed(
            fields={"role": [_("Only admins can grant or take the admin role.")]}
        )
    if role != membership.role:
        _change_role(membership, role)
        # A coordinator made a volunteer loses the board: its open sockets close (4403).
        publish_access_changed_on_commit(
            user_id=membership.user_id, organisation_ids=[membership.organisation_id]
        )
    return membership


def membership_clear_claim_block(*, actor: User, membership: Membership) -> Membership:
    """A coordinator lets a volunteer blocked after no-shows claim again; the count restarts."""
    require_manager(user=actor, organisation_id=membership.organisation_id)
    Membership.objects.filter(pk=membership.pk).update(no_show_count=0, claims_blocked_at=None)
    membership.no_show_count = 0
    membership.claims_blocked_at = None
    return membership


def qualification_create(
    *, actor: User, organisation: Organisation, name: str, description: str = ""
) -> Qualification:
    require_manager(user=actor, organisation_id=organisation.pk)
    if not name.strip():
        raise ValidationFailed(fields={"name": [_("This field may not be blank.")]})
    try:
        with transaction.atomic():
            return Qualification.objects.create(
                organisation=organisation, name=name.strip(), description=description
            )
    except IntegrityError:
        raise ValidationFailed(fields={"name": [_("This qualification already exists.")]}) from None


def qualification_grant(
    *,
    actor: User,
    qualification: Qualification,
    user: User,
    expires_on: dt.date | None = None,
) -> VolunteerQualification:
    """A coordinator confirms that ``user`` holds ``qualification`` (until ``expires_on``)."""
    require_manager(user=actor, organisation_id=qualification.organisation_id)
    if not Membership.objects.filter(
        user=user, organisation_id=qualification.organisation_id
    ).exists():
        raise NotFound(_("This person is not a member of the organisation."))
    held, _created = VolunteerQualification.objects.update_or_create(
        user=user,
        qualification=qualification,
        defaults={"expires_on": expires_on, "confirmed_by": actor},
    )
    return held


def qualification_revoke(*, actor: User, held: VolunteerQualification) -> None:
    require_manager(user=actor, organisation_id=held.qualification.organisation_id)
    held.delete()

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
from django.utils.translation import ngettext

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
from backend.organisations.public_page import public_page_changed
from backend.organisations.selectors import (
    may_administer,
    require_admin,
    require_manager,
    usable_invites_q,
)
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


# Capitals and digits without look-alikes (no O/0, I/1/L): read off a poster in a hallway and
# typed on a phone. 31 symbols, 10 of them: 49 bits; and codes expire and count their uses.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_CODE_LENGTH = 10


def new_invite_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_CODE_LENGTH))


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
        code=new_invite_code(),
        role=role,
        created_by=actor,
        expires_at=timezone.now() + valid_for if valid_for else None,
        max_uses=max_uses,
    )


def invite_revoke(*, actor: User, organisation: Organisation, invite_id: int) -> InviteCode:
    """Stop an invite code from working. Its coordinators may revoke volunteer and
    coordinator invites; admin invites only its admins (as only they may make them)."""
    require_manager(user=actor, organisation_id=organisation.pk)
    invite = InviteCode.objects.filter(pk=invite_id, organisation=organisation).first()
    if invite is None:
        raise NotFound()
    is_admin = may_administer(user=actor, organisation_id=organisation.pk)
    if invite.role == Role.ADMIN and not is_admin:
        raise PermissionDenied(_("Only admins can revoke admin invites."))
    # One UPDATE: a join that already counted its use keeps its membership, any later one fails.
    InviteCode.objects.filter(pk=invite.pk).update(revoked=True)
    invite.revoked = True
    return invite


@transaction.atomic
def organisation_join(*, user: User, code: str) -> Membership:
    """Join with an invite code (as typed: spaces around it and letter case do not matter).
    Joining again keeps the higher of the two roles."""
    now = timezone.now()
    # The conditional update counts the use and checks expiry and the use limit in one step,
    # so a code with max_uses=1 can't be used twice by two people at once.
    usable = Q(code__iexact=code.strip()) & usable_invites_q(now)
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
# Hours before the start until which a stand-in may be asked for (0: until the start).
STAND_IN_DEADLINE_RANGE = (0, 14 * 24)
ORGANISATION_NAME_MAX_LENGTH = Organisation._meta.get_field("name").max_length or 200
PUBLIC_DESCRIPTION_MAX_LENGTH = 2000


@transaction.atomic
def organisation_update(
    *,
    actor: User,
    organisation_id: int,
    name: str | None = None,
    time_zone: str | None = None,
    no_show_limit: int | None = None,
    stand_in_deadline_hours: int | None = None,
    care_decree: bool | None = None,
    publish_requires_insurance: bool | None = None,
    requires_birth_date: bool | None = None,
    public_page_enabled: bool | None = None,
    public_description: str | None = None,
) -> Organisation:
    """Change an organisation's settings: admins of the organisation (and staff) only.

    Fields left ``None`` stay as they are. Every invalid field is reported at once, and then
    nothing changes."""
    organisation = Organisation.objects.select_for_update().filter(pk=organisation_id).first()
    if organisation is None:
        raise NotFound()
    if not may_administer(user=actor, organisation_id=organisation_id):
        raise PermissionDenied(_("Only admins can change the organisation's settings."))
    errors: dict[str, list[str]] = {}
    changed: dict[str, object] = {}
    if name is not None:
        name = name.strip()
        if not name:
            errors["name"] = [_("This field may not be blank.")]
        elif len(name) > ORGANISATION_NAME_MAX_LENGTH:
            errors["name"] = [
                ngettext(
                    "Use at most %(count)s character.",
                    "Use at most %(count)s characters.",
                    ORGANISATION_NAME_MAX_LENGTH,
                )
                % {"count": ORGANISATION_NAME_MAX_LENGTH}
            ]
        else:
            changed["name"] = name
    if time_zone is not None:
        if time_zone not in zoneinfo.available_timezones():
            errors["time_zone"] = [_("Unknown time zone.")]
        else:
            changed["time_zone"] = time_zone
    if no_show_limit is not None:
        low, high = NO_SHOW_LIMIT_RANGE
        if not low <= no_show_limit <= high:
            errors["no_show_limit"] = [_("Give a number from 1 to 20.")]
        else:
            changed["no_show_limit"] = no_show_limit
    if stand_in_deadline_hours is not None:
        low, high = STAND_IN_DEADLINE_RANGE
        if not low <= stand_in_deadline_hours <= high:
            errors["stand_in_deadline_hours"] = [
                _("Give a number of hours from %(low)s to %(high)s.") % {"low": low, "high": high}
            ]
        else:
            changed["stand_in_deadline_hours"] = stand_in_deadline_hours
    if public_description is not None:
        description = public_description.strip()
        if len(description) > PUBLIC_DESCRIPTION_MAX_LENGTH:
            errors["public_description"] = [
                ngettext(
                    "Use at most %(count)s character.",
                    "Use at most %(count)s characters.",
                    PUBLIC_DESCRIPTION_MAX_LENGTH,
                )
                % {"count": PUBLIC_DESCRIPTION_MAX_LENGTH}
            ]
        else:
            changed["public_description"] = description
    for field, flag in (
        ("public_page_enabled", public_page_enabled),
        ("care_decree", care_decree),
        ("publish_requires_insurance", publish_requires_insurance),
        ("requires_birth_date", requires_birth_date),
    ):
        if flag is not None:
            changed[field] = bool(flag)
    if errors:
        raise ValidationFailed(fields=errors)
    if changed.get("public_page_enabled") and not _public_invite_usable(organisation):
        # The page's "Join via Telegram" needs a lasting volunteer invite of its own.
        changed["public_invite"] = invite_create(
            actor=actor, organisation=organisation, role=Role.VOLUNTEER, valid_for=None
        )
    if changed:
        for field, value in changed.items():
            setattr(organisation, field, value)
        organisation.save(update_fields=list(changed))
        public_page_changed(organisation.pk)
    return organisation


def _public_invite_usable(organisation: Organisation) -> bool:
    invite_id = organisation.public_invite_id
    return (
        invite_id is not None
        and InviteCode.objects.filter(usable_invites_q(timezone.now()), pk=invite_id).exists()
    )


@transaction.atomic
def membership_set_role(*, actor: User, membership: Membership, role: str) -> Membership:
    """An admin (or staff) changes a member's role; the organisation keeps at least one admin.

    Coordinators run the day (shifts, check-ins, qualifications, blocks) but do not decide who
    else coordinates: that is the admins' (``PermissionDenied``)."""
    require_admin(
        user=actor,
        organisation_id=membership.organisation_id,
        detail=_("Only admins can change roles."),
    )
    if role not in Role.values:
        raise ValidationFailed(fields={"role": [_("Unknown role.")]})
    if membership.role == Role.ADMIN and role != Role.ADMIN:
        # Lock every admin row of the organisation, in one order: two admins demoting each
        # other at once must not both still see the other one; the second waits and counts.
        admins = list(
            Membership.objects.select_for_update()
            .filter(organisation_id=membership.organisation_id, role=Role.ADMIN)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not set(admins) - {membership.pk}:
            raise ValidationFailed(
                fields={
                    "role": [_("The organisation needs an admin: make someone else admin first.")]
                }
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

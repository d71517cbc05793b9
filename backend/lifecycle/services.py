"""Workflows that span the domain apps: signing up from Telegram (with an invite), leaving
an organisation and erasing a person.

They cancel claims (waitlists promote), end memberships and clear accounts, so they sit above
accounts, organisations and shifts; those apps do not import this module (the layering is
checked by import-linter, see pyproject.toml), which is what keeps them free of cycles.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import Language, ModePreference, User, VolunteerProfile
from backend.core.errors import InvalidInviteCode, NotFound, ValidationFailed
from backend.organisations.models import (
    Membership,
    PastMembership,
    Role,
    VolunteerQualification,
)
from backend.organisations.selectors import require_admin
from backend.organisations.services import organisation_join
from backend.shifts.locks import lock_waitlists, transaction_retrying
from backend.shifts.models import ACTIVE_CLAIM_STATUSES, Claim
from backend.shifts.services import claim_cancel
from backend.telegram.models import LinkCode, SignupDraft
from realtime.events import publish_access_changed_on_commit


def claims_cancelled_by_leaving(
    *, user_id: int, organisation_id: int, now: dt.datetime
) -> QuerySet[Claim]:
    """The claims ``membership_end`` cancels: the member's active claims on the
    organisation's shifts that have not started (the bot lists them before asking to
    confirm)."""
    return Claim.objects.filter(
        volunteer_id=user_id,
        shift__organisation_id=organisation_id,
        status__in=ACTIVE_CLAIM_STATUSES,
        shift__starts_at__gt=now,
    )


@transaction_retrying
def membership_end(*, actor: User, membership_id: int) -> PastMembership:
    """End a membership: the member leaves, or an admin (or staff) removes them.

    The row moves to PastMembership with its dates (figures for past years need them) and the
    person's upcoming claims in the organisation are cancelled, so waitlists promote.
    """
    membership = Membership.objects.filter(pk=membership_id).first()
    if membership is None:
        raise NotFound()
    organisation_id = membership.organisation_id
    if membership.user_id != actor.pk:
        require_admin(
            user=actor,
            organisation_id=organisation_id,
            detail=_("Only admins can remove members."),
        )
    if (
        membership.role == Role.ADMIN
        and not Membership.objects.filter(organisation_id=organisation_id, role=Role.ADMIN)
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise ValidationFailed(
            fields={"role": [_("The last admin cannot leave; make someone else admin first.")]}
        )
    now = timezone.now()
    upcoming = list(
        claims_cancelled_by_leaving(
            user_id=membership.user_id, organisation_id=organisation_id, now=now
        )
        .order_by("shift_id")
        .values_list("pk", "shift_id")
    )
    # Each cancellation may promote: the waitlists' profiles first (the lock order).
    lock_waitlists(shift_id for _claim_id, shift_id in upcoming)
    for claim_id, _shift_id in upcoming:
        claim_cancel(actor=membership.user, claim_id=claim_id)
    past = PastMembership.objects.create(
        user_id=membership.user_id,
        organisation_id=organisation_id,
        role=membership.role,
        joined_at=min(membership.joined_at, now),
        ended_at=now,
    )
    membership.delete()
    # Their open boards of the organisation close (4403).
    publish_access_changed_on_commit(user_id=past.user_id, organisation_ids=[organisation_id])
    return past


ERASED_DISPLAY_NAME = "—"


@transaction_retrying
def user_erase(*, user: User) -> None:
    """Erase a person's personal data (GDPR art. 17), keeping the organisations' figures right.

    The user row stays, anonymised and unable to log in, so past claims (hours, counts, no-
    shows) still count; future claims are cancelled through ``claim_cancel`` so waitlists
    promote as usual; memberships end (kept as ``PastMembership`` for the figures of earlier
    years); the Telegram chat is unlinked and the calendar feed link stops working;
    qualifications held, Telegram link codes and an unfinished sign-up are deleted.
    """
    now = timezone.now()
    future = list(
        Claim.objects.filter(
            volunteer=user, status__in=ACTIVE_CLAIM_STATUSES, shift__starts_at__gt=now
        )
        .order_by("shift_id")
        .values_list("pk", "shift_id")
    )
    # Every cancellation may promote: all their waitlists' profiles first (the lock order),
    # then the shifts one by one, in id order.
    lock_waitlists(shift_id for _claim_id, shift_id in future)
    for claim_id, _shift_id in future:
        claim_cancel(actor=user, claim_id=claim_id)
    memberships = list(Membership.objects.filter(user=user))
    # Every socket of theirs closes (4401): their stream, and any board they had open.
    publish_access_changed_on_commit(
        user_id=user.pk, organisation_ids=[m.organisation_id for m in memberships]
    )
    PastMembership.objects.bulk_create(
        PastMembership(
            user=user,
            organisation_id=membership.organisation_id,
            role=membership.role,
            joined_at=membership.joined_at,
            ended_at=max(now, membership.joined_at),
        )
        for membership in memberships
    )
    Membership.objects.filter(pk__in=[m.pk for m in memberships]).delete()
    VolunteerQualification.objects.filter(user=user).delete()
    LinkCode.objects.filter(user=user).delete()
    chat_id = (
        VolunteerProfile.objects.filter(user=user)
        .values_list("telegram_chat_id", flat=True)
        .first()
    )
    if chat_id is not None:
        SignupDraft.objects.filter(chat_id=chat_id).delete()
    user.email = None
    user.set_unusable_password()
    user.is_active = False
    user.last_login = None
    user.save(update_fields=["email", "password", "is_active", "last_login"])
    VolunteerProfile.objects.filter(user=user).update(
        display_name=ERASED_DISPLAY_NAME,
        phone="",
        postcode="",
        birth_date=None,
        school_attestation=False,
        benefit="",
        c45b_handed_in_on=None,
        consent_at=None,
        telegram_chat_id=None,
        calendar_token=None,
    )
    # The organisations keep their proof (acknowledged notes) and their books (allowances),
    # now of a nameless account.


@dataclass(frozen=True)
class TelegramSignup:
    user: User
    # The organisation joined with the invite code, or None (no code, or it did not work).
    organisation_name: str | None
    invite_rejected: bool


def volunteer_create_from_telegram(
    *,
    chat_id: int,
    display_name: str,
    language: str,
    mode_preference: str,
    postcode: str = "",
    phone: str = "",
    invite_code: str = "",
) -> TelegramSignup:
    """Create a volunteer who signed up in the Telegram bot (no e-mail, no password).

    An invite code that no longer works does not undo the sign-up: the account is made and
    ``invite_rejected`` tells the bot to say so.
    """
    if language not in Language.values:
        raise ValidationFailed(fields={"language": [_("Choose nl, en or fr.")]})
    if mode_preference not in ModePreference.values:
        raise ValidationFailed(fields={"mode_preference": [_("Choose online, on_site or both.")]})
    if not display_name.strip():
        raise ValidationFailed(fields={"display_name": [_("This field may not be blank.")]})
    with transaction.atomic():
        if VolunteerProfile.objects.filter(telegram_chat_id=chat_id).exists():
            raise ValidationFailed(
                fields={"telegram_chat_id": [_("This Telegram chat already has an account.")]}
            )
        user = User.objects.create_user(email=None, password=None)
        VolunteerProfile.objects.create(
            user=user,
            display_name=display_name.strip()[:100],
            language=language,
            mode_preference=mode_preference,
            postcode=postcode.strip()[:64],
            phone=phone.strip()[:32],
            consent_at=timezone.now(),
            telegram_chat_id=chat_id,
        )
        organisation_name: str | None = None
        invite_rejected = False
        if invite_code:
            try:
                # A savepoint: a rejected code rolls back only the join, not the account.
                with transaction.atomic():
                    membership = organisation_join(user=user, code=invite_code)
                organisation_name = membership.organisation.name
            except InvalidInviteCode:
                invite_rejected = True
    return TelegramSignup(user, organisation_name, invite_rejected)


def user_deactivate(*, user: User) -> None:
    """The account can no longer log in (staff, in the admin): its open sockets close (4401),
    and it manages nothing any more (``may_manage``)."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    publish_access_changed_on_commit(
        user_id=user.pk,
        organisation_ids=list(
            Membership.objects.filter(user=user).values_list("organisation_id", flat=True)
        ),
    )

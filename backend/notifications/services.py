"""Notification work that is not on a shift service's path: planning a claim's reminders
(run by the worker), the coordinator broadcast, and what volunteers answer to reminders and
follow-ups (from the bot)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backend.accounts.models import ModePreference, User, VolunteerProfile
from backend.core.errors import (
    ClaimNotActive,
    FollowUpAlreadyHandled,
    NotFound,
    ShiftFull,
    ShiftNotOpen,
    ShiftStarted,
    ValidationFailed,
)
from backend.notifications import records
from backend.notifications.models import ClaimFeedback, Kind, Notification, ReminderSettings, Status
from backend.notifications.schedule import (
    DEFAULT_OFFSETS_MINUTES,
    FOLLOW_UP_DELAY,
    reminder_due,
)
from backend.organisations.models import Membership, Role
from backend.organisations.selectors import require_manager
from backend.shifts.models import (
    ACTIVE_CLAIM_STATUSES,
    Claim,
    ClaimStatus,
    Shift,
    ShiftMode,
    ShiftStatus,
)
from backend.shifts.services import (
    Eligibility,
    check_in_open,
    claim_check_in,
)
from backend.telegram.models import TelegramAccount

MAX_OFFSETS = 4
# Offsets a volunteer may choose: 15 minutes to 7 days before the shift.
OFFSET_RANGE_MINUTES = (15, 7 * 24 * 60)
# Free text after a score counts as the comment within this time.
COMMENT_WINDOW = dt.timedelta(hours=24)
# A coordinator's note on a follow-up they handled.
HANDLED_NOTE_MAX = 2000
# Words that put an answer on the coordinators' follow-up list whatever the score.
WORRYING = re.compile(
    r"\b(onveilig|ongeluk|ongeval|gewond|pijn|agressie|agressief|bedreigd|lastiggevallen|"
    r"unsafe|accident|injur\w*|hurt|pain|aggressive|threat\w*|harass\w*|abus\w*|"
    r"dangereux|dangereuse|accident|blessée?|douleur|agressi\w*|menac\w*|harcel\w*)\b",
    re.IGNORECASE,
)


# --- the volunteer's reminder offsets --------------------------------------------------------


def reminder_offsets(*, user_id: int) -> list[int]:
    stored = (
        ReminderSettings.objects.filter(user_id=user_id)
        .values_list("offsets_minutes", flat=True)
        .first()
    )
    return list(stored) if stored else list(DEFAULT_OFFSETS_MINUTES)


@transaction.atomic
def reminder_settings_set(
    *, user: User, enabled: bool | None = None, offsets_minutes: list[int] | None = None
) -> tuple[bool, list[int]]:
    """Switch reminders on/off and set their offsets (minutes before the shift). Applies to
    reminders planned from now on; already planned ones check on/off when they are due."""
    if offsets_minutes is not None:
        low, high = OFFSET_RANGE_MINUTES
        if len(offsets_minutes) > MAX_OFFSETS or any(
            not isinstance(m, int) or not low <= m <= high for m in offsets_minutes
        ):
            raise ValidationFailed(
                fields={
                    "offsets_minutes": [_("Give at most 4 offsets between 15 and 10080 minutes.")]
                }
            )
        ReminderSettings.objects.update_or_create(
            user=user, defaults={"offsets_minutes": sorted(set(offsets_minutes), reverse=True)}
        )
    account, _created = TelegramAccount.objects.get_or_create(user=user)
    if enabled is not None and account.reminders_enabled != enabled:
        account.reminders_enabled = enabled
        account.save(update_fields=["reminders_enabled"])
    return account.reminders_enabled, reminder_offsets(user_id=user.pk)


# --- planning (worker) -----------------------------------------------------------------------


def _key_time(moment: dt.datetime) -> str:
    return f"{moment.timestamp():.0f}"


@transaction.atomic
def reminders_plan(*, claim_id: int, caused_at: dt.datetime) -> int:
    """Schedule the reminders and the follow-up of a confirmed claim at its shift's current
    times; pending ones for earlier times are dropped. Idempotent (unique keys). Reminders
    whose moment had passed when the cause happened (``caused_at``: the claim, promotion or
    move) are skipped; the number of rows written."""
    claim = Claim.objects.select_related("shift__organisation").filter(pk=claim_id).first()
    if claim is None or claim.status != ClaimStatus.CONFIRMED:
        return 0
    shift = claim.shift
    if shift.status != ShiftStatus.PUBLISHED:
        return 0
    Notification.objects.filter(
        claim=claim, kind__in=(Kind.REMINDER, Kind.FOLLOW_UP), status=Status.PENDING
    ).exclude(shift_starts_at=shift.starts_at).update(
        status=Status.DROPPED, last_error="the shift moved"
    )
    zone = ZoneInfo(shift.organisation.time_zone)
    enabled = (
        TelegramAccount.objects.filter(user_id=claim.volunteer_id)
        .values_list("reminders_enabled", flat=True)
        .first()
    )
    rows = []

    def row(kind: str, key: str, scheduled_for: dt.datetime, due_at: dt.datetime) -> Notification:
        return Notification(
            key=key,
            kind=kind,
            organisation_id=shift.organisation_id,
            user_id=claim.volunteer_id,
            shift_id=shift.pk,
            claim_id=claim.pk,
            shift_starts_at=shift.starts_at,
            scheduled_for=scheduled_for,
            due_at=due_at,
        )

    if enabled is not False:
        for minutes in reminder_offsets(user_id=claim.volunteer_id):
            at = shift.starts_at - dt.timedelta(minutes=minutes)
            due = reminder_due(at, shift.starts_at, zone)
            # A time already past, or moved into the past by quiet hours (a 04:30 reminder
            # moves to 21:59 the evening before): the volunteer has just acted on the shift.
            if at < caused_at or due < caused_at:
                continue
            key = f"reminder:{claim.pk}:{_key_time(at)}"
            rows.append(row(Kind.REMINDER, key, at, due))
    follow_up_at = shift.ends_at + FOLLOW_UP_DELAY
    rows.append(
        row(
            Kind.FOLLOW_UP,
            f"follow_up:{claim.pk}:{_key_time(follow_up_at)}",
            follow_up_at,
            follow_up_at,
        )
    )
    created = Notification.objects.bulk_create(rows, ignore_conflicts=True)
    # A shift moved back to a time it had before: its reminders for that time exist, dropped
    # by the first move. Same key, same moment: they are due again.
    Notification.objects.filter(
        key__in=[r.key for r in rows], status=Status.DROPPED, last_error="the shift moved"
    ).update(status=Status.PENDING, last_error="", shift_starts_at=shift.starts_at)
    return len(created)


@transaction.atomic
def late_cancellation_fan_out(*, notification: Notification, now: dt.datetime) -> int:
    """One notice per coordinator (or admin) of the organisation who has Telegram."""
    coordinators = (
        Membership.objects.filter(
            organisation_id=notification.organisation_id,
            role__in=("coordinator", "admin"),
            user__is_active=True,
            user__profile__telegram_chat_id__isnull=False,
        )
        # A late cancellation always names its volunteer; the stubs don't allow a nullable id.
        .exclude(user_id=notification.user_id)  # type: ignore[misc]
        .values_list("user_id", flat=True)
    )
    rows = [
        Notification(
            key=f"{notification.key}:to:{user_id}",
            kind=Kind.LATE_CANCELLATION_NOTICE,
            organisation_id=notification.organisation_id,
            user_id=user_id,
            shift_id=notification.shift_id,
            claim_id=notification.claim_id,
            shift_starts_at=notification.shift_starts_at,
            scheduled_for=now,
            due_at=now,
            payload={"volunteer_id": notification.user_id},
        )
        for user_id in coordinators
    ]
    return len(Notification.objects.bulk_create(rows, ignore_conflicts=True))


# --- coordinator broadcast -------------------------------------------------------------------


# A volunteer who only wants this kind of shift is not asked for the other kind.
_UNWANTED_PREFERENCE = {
    ShiftMode.ON_SITE: ModePreference.ONLINE,
    ShiftMode.ONLINE: ModePreference.ON_SITE,
}


def _eligible_volunteers(shift: Shift, *, sender_id: int) -> list[int]:
    """The organisation's volunteers who could claim ``shift`` now (the services'
    ``Eligibility``: a fixed number of queries for everyone), reminders on, no active claim on
    it yet, and not only wanting the other mode. Not the sender, nor any coordinator or admin:
    they run the call, they are not its audience."""
    candidates = list(
        Membership.objects.filter(
            organisation_id=shift.organisation_id, role=Role.VOLUNTEER, user__is_active=True
        )
        .exclude(user_id=sender_id)
        .exclude(user__telegram_account__reminders_enabled=False)
        .exclude(user__profile__mode_preference=_UNWANTED_PREFERENCE[ShiftMode(shift.mode)])
        .exclude(
            user_id__in=Claim.objects.filter(shift=shift, status__in=ACTIVE_CLAIM_STATUSES).values(
                "volunteer_id"
            )
        )
        .values_list("user_id", flat=True)
    )
    eligibility = Eligibility(volunteer_ids=candidates, shifts=[shift])
    return [user_id for user_id in candidates if eligibility.error(user_id, shift) is None]


def broadcast_outcome(asked: int) -> str:
    """What a call for a shift achieved, in the user's language (the API's answer and the
    cockpit's notice say the same)."""
    if asked:
        return ngettext(
            "%(count)s volunteer was asked to help.",
            "%(count)s volunteers were asked to help.",
            asked,
        ) % {"count": asked}
    return _(
        "Nobody new was asked: the volunteers who could take this shift have all been asked "
        "already, or there are none."
    )


@transaction.atomic
def shift_broadcast(*, actor: User, shift_id: int, text: str) -> int:
    """Ask the eligible volunteers to claim ``shift``, with a Claim button; each volunteer
    hears about a shift at most once. The number of volunteers newly asked."""
    shift = Shift.objects.select_related("organisation").filter(pk=shift_id).first()
    if shift is None:
        raise NotFound()
    require_manager(user=actor, organisation_id=shift.organisation_id)
    text = text.strip()
    if not text or len(text) > 1000:
        raise ValidationFailed(fields={"text": [_("Write a message of 1 to 1000 characters.")]})
    if shift.status != ShiftStatus.PUBLISHED:
        raise ShiftNotOpen()
    now = timezone.now()
    if shift.starts_at <= now:
        raise ShiftStarted()
    if shift.confirmed_count >= shift.capacity and not shift.waitlist_enabled:
        # Nobody could answer it: every interface (API, bot, cockpit) is refused alike.
        raise ShiftFull(
            _("This shift is full and has no waitlist: there is no place to call people for.")
        )
    rows = [
        records.to_user(
            Kind.BROADCAST,
            f"broadcast:{shift.pk}:{user_id}",
            shift=shift,
            user_id=user_id,
            now=now,
            text=text,
        )
        for user_id in _eligible_volunteers(shift, sender_id=actor.pk)
    ]
    before = Notification.objects.filter(kind=Kind.BROADCAST, shift=shift).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return Notification.objects.filter(kind=Kind.BROADCAST, shift=shift).count() - before


# --- answers from the volunteer (bot) --------------------------------------------------------


def _own_claim(user: User, claim_id: int) -> Claim:
    claim = Claim.objects.filter(pk=claim_id, volunteer_id=user.pk).first()
    if claim is None:
        raise NotFound()
    return claim


@transaction.atomic
def attendance_confirm(*, user: User, claim_id: int) -> ClaimFeedback:
    """ "I'm coming" on a reminder: recorded as ``attendance_confirmed_at``; pressed once
    check-in has opened (shortly before the start), it checks the volunteer in as well."""
    claim = _own_claim(user, claim_id)
    if claim.status != ClaimStatus.CONFIRMED:
        raise ClaimNotActive()
    now = timezone.now()
    feedback, _created = ClaimFeedback.objects.select_for_update().get_or_create(claim=claim)
    if feedback.attendance_confirmed_at is None:
        feedback.attendance_confirmed_at = now
        feedback.save(update_fields=["attendance_confirmed_at"])
    if claim.checked_in_at is None and check_in_open(shift=claim.shift, now=now):
        claim_check_in(actor=user, claim_id=claim.pk)
    return feedback


@transaction.atomic
def follow_up_answer(*, user: User, claim_id: int, score: int) -> ClaimFeedback:
    """A 1-5 score; 1 or 2 puts the claim on the coordinators' follow-up list. Free text
    sent within a day after it is the comment (``follow_up_comment``)."""
    if not 1 <= score <= 5:
        raise ValidationFailed(fields={"score": [_("Give a score from 1 to 5.")]})
    claim = _own_claim(user, claim_id)
    if claim.status not in (ClaimStatus.CONFIRMED, ClaimStatus.COMPLETED):
        raise ClaimNotActive()
    now = timezone.now()
    feedback, _created = ClaimFeedback.objects.select_for_update().get_or_create(claim=claim)
    feedback.score = score
    feedback.answered_at = now
    feedback.awaiting_comment_until = now + COMMENT_WINDOW
    feedback.needs_follow_up = score <= 2 or bool(WORRYING.search(feedback.comment))
    feedback.save()
    return feedback


@transaction.atomic
def follow_up_comment(*, chat_id: int, text: str) -> ClaimFeedback | None:
    """Free text from a volunteer who just scored a shift: stored as the comment (None when
    no follow-up is waiting for one, so the bot answers as usual)."""
    profile = VolunteerProfile.objects.filter(telegram_chat_id=chat_id).first()
    if profile is None:
        return None
    feedback = (
        ClaimFeedback.objects.select_for_update()
        .filter(claim__volunteer_id=profile.user_id, awaiting_comment_until__gt=timezone.now())
        .order_by("-answered_at")
        .first()
    )
    if feedback is None:
        return None
    feedback.comment = text.strip()[:2000]
    feedback.awaiting_comment_until = None
    feedback.needs_follow_up = feedback.needs_follow_up or bool(WORRYING.search(feedback.comment))
    feedback.save()
    return feedback


# --- coordinators' views ---------------------------------------------------------------------


def follow_ups_of(*, actor: User, organisation_id: int) -> QuerySet[ClaimFeedback]:
    """Answers that still need a coordinator, newest first (handled ones:
    ``follow_ups_handled``)."""
    require_manager(user=actor, organisation_id=organisation_id)
    return (
        ClaimFeedback.objects.filter(
            claim__shift__organisation_id=organisation_id,
            needs_follow_up=True,
            handled_at__isnull=True,
        )
        .select_related("claim__shift", "claim__volunteer__profile")
        .order_by(F("answered_at").desc(nulls_last=True), "-pk")
    )


def follow_ups_handled(*, actor: User, organisation_id: int) -> QuerySet[ClaimFeedback]:
    """Follow-ups a coordinator dealt with, the most recently handled first."""
    require_manager(user=actor, organisation_id=organisation_id)
    return (
        ClaimFeedback.objects.filter(
            claim__shift__organisation_id=organisation_id,
            needs_follow_up=True,
            handled_at__isnull=False,
        )
        .select_related("claim__shift", "claim__volunteer__profile", "handled_by__profile")
        .order_by("-handled_at", "-pk")
    )


@transaction.atomic
def follow_up_handle(
    *, actor: User, feedback_id: int, note: str, organisation_id: int | None = None
) -> ClaimFeedback:
    """A coordinator dealt with a follow-up: when, who and their note (1 to
    ``HANDLED_NOTE_MAX`` characters) are kept, and it leaves the list of answers that need
    attention. With ``organisation_id``, a follow-up of another organisation is not found."""
    # Locked, so that of two coordinators handling the same answer at once the second is told
    # it was handled instead of overwriting the first one's note.
    feedback = (
        ClaimFeedback.objects.select_for_update(of=("self",))
        .select_related("claim__shift")
        .filter(pk=feedback_id, needs_follow_up=True)
        .first()
    )
    if feedback is None or (
        organisation_id is not None and feedback.claim.shift.organisation_id != organisation_id
    ):
        raise NotFound()
    require_manager(user=actor, organisation_id=feedback.claim.shift.organisation_id)
    if feedback.handled_at is not None:
        raise FollowUpAlreadyHandled()
    note = note.strip()
    if not note or len(note) > HANDLED_NOTE_MAX:
        raise ValidationFailed(
            fields={
                "note": [
                    _("Write what you did, in 1 to %(max)d characters.") % {"max": HANDLED_NOTE_MAX}
                ]
            }
        )
    feedback.handled_at = timezone.now()
    feedback.handled_by = actor
    feedback.handled_note = note
    feedback.save(update_fields=["handled_at", "handled_by", "handled_note"])
    return feedback


def notifications_of(
    *, actor: User, organisation_id: int, status: str | None = None
) -> QuerySet[Notification]:
    require_manager(user=actor, organisation_id=organisation_id)
    rows = Notification.objects.filter(organisation_id=organisation_id).exclude(
        kind__in=(Kind.PLAN, Kind.LATE_CANCELLATION, Kind.SHIFT_PUBLISHED)
    )
    if status:
        if status not in Status.values:
            choices = ", ".join(Status.values)
            raise ValidationFailed(
                fields={"status": [_("Choose one of: %(choices)s.") % {"choices": choices}]}
            )
        rows = rows.filter(status=status)
    return rows.order_by("-due_at", "-id")

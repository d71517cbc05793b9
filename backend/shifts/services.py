"""Every state change of shifts and claims. Adapters (API, bot, consumers, worker) call these.

Concurrency, in short (each lock is explained where it is taken):
- a volunteer's own claims run one at a time (row lock on their profile);
- a seat is taken with one conditional UPDATE of ``Shift.confirmed_count`` (``WHERE
  confirmed_count < capacity``), and the database CHECK keeps the counter within capacity;
- releasing a seat, promoting from the waitlist and changing a shift lock the shift row;
- lock order is profile -> shift, never the other way round, so these can't deadlock; the
  one exception is promotion, which locks each candidate's profile (see ``_promote_waitlist``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, router, transaction
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User, VolunteerProfile
from backend.accounts.services import profile_ensure
from backend.core.compiled import CompiledQuery, Placeholder
from backend.core.errors import (
    CapacityBelowConfirmed,
    CheckInNotPossible,
    ClaimBlocked,
    ClaimNotActive,
    ClaimsNotOpen,
    DomainError,
    NotCheckedIn,
    NotFound,
    NotMember,
    NotQualified,
    Overlap,
    PermissionDenied,
    ShiftFull,
    ShiftNotEditable,
    ShiftNotEnded,
    ShiftNotOpen,
    ShiftStarted,
    TooManyClaims,
    ValidationFailed,
)
from backend.notifications import records as notification_records
from backend.organisations.models import (
    Membership,
    Organisation,
    Qualification,
    Role,
    VolunteerQualification,
)
from backend.organisations.selectors import is_manager, require_manager
from backend.shifts.models import (
    ACTIVE_CLAIM_STATUSES,
    Claim,
    ClaimStatus,
    SeriesFrequency,
    Shift,
    ShiftChange,
    ShiftMode,
    ShiftSeries,
    ShiftStatus,
    ShiftVisibility,
)
from realtime.events import ClaimInfo, DomainEvent, EventType, ShiftCounts, publish_on_commit

MAX_SHIFT_LENGTH = dt.timedelta(hours=settings.INZET_MAX_SHIFT_HOURS)

# Fields a coordinator may set on a shift; the counters, organisation and status are not here.
EDITABLE_FIELDS = (
    "title",
    "description",
    "mode",
    "address",
    "meeting_link",
    "starts_at",
    "ends_at",
    "capacity",
    "waitlist_enabled",
    "cancellation_deadline_hours",
    "visibility",
    "claims_open_at",
)


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    created: bool


# --- events ----------------------------------------------------------------------------------


def _shift_counts(shift: Shift) -> ShiftCounts:
    return {
        "id": shift.pk,
        "status": shift.status,
        "capacity": shift.capacity,
        "confirmed_count": shift.confirmed_count,
        "waitlist_count": shift.waitlist_count,
        "starts_at": shift.starts_at.isoformat(),
        "ends_at": shift.ends_at.isoformat(),
    }


def _publish(
    event_type: EventType,
    shift: Shift,
    claim: Claim | None = None,
    *,
    user_ids: Iterable[int] = (),
    time_changed: bool | None = None,
) -> None:
    event: DomainEvent = {
        "type": event_type,
        "organisation_id": shift.organisation_id,
        "occurred_at": timezone.now().isoformat(),
        "shift": _shift_counts(shift),
    }
    if claim is not None:
        info: ClaimInfo = {
            "id": claim.pk,
            "volunteer_id": claim.volunteer_id,
            "status": claim.status,
            "late_cancellation": claim.late_cancellation,
        }
        event["claim"] = info
    if time_changed is not None:
        event["time_changed"] = time_changed
    publish_on_commit(event, user_ids=tuple(user_ids))


# --- shifts ----------------------------------------------------------------------------------


def _validate_shift(values: dict[str, Any], *, organisation: Organisation, creating: bool) -> None:
    errors: dict[str, list[str]] = {}
    starts_at: dt.datetime = values["starts_at"]
    ends_at: dt.datetime = values["ends_at"]
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        errors["starts_at"] = [_("Give times with a time zone offset.")]
    elif ends_at <= starts_at:
        errors["ends_at"] = [_("The end must be after the start.")]
    elif ends_at - starts_at > MAX_SHIFT_LENGTH:
        errors["ends_at"] = [_("A shift lasts at most 24 hours.")]
    moved = creating or values.get("_time_changed")
    if "starts_at" not in errors and moved and starts_at <= timezone.now():
        errors["starts_at"] = [_("The start must be in the future.")]
    capacity = values["capacity"]
    if not isinstance(capacity, int) or not 1 <= capacity <= 500:
        errors["capacity"] = [_("Capacity must be between 1 and 500.")]
    if values["mode"] not in ShiftMode.values:
        errors["mode"] = [_("Choose on_site or online.")]
    elif values["mode"] == ShiftMode.ON_SITE and not values.get("address", "").strip():
        errors["address"] = [_("An on-site shift needs an address.")]
    elif values["mode"] == ShiftMode.ONLINE and not values.get("meeting_link", "").strip():
        errors["meeting_link"] = [_("An online shift needs a meeting link.")]
    if values.get("visibility", ShiftVisibility.MEMBERS) not in ShiftVisibility.values:
        errors["visibility"] = [_("Choose members or public.")]
    if not str(values.get("title", "")).strip():
        errors["title"] = [_("This field may not be blank.")]
    opens = values.get("claims_open_at")
    if opens is not None and "starts_at" not in errors:
        if timezone.is_naive(opens):
            errors["claims_open_at"] = [_("Give times with a time zone offset.")]
        elif opens >= starts_at:
            errors["claims_open_at"] = [_("Claims must open before the shift starts.")]
    deadline = values.get("cancellation_deadline_hours", 0)
    if not isinstance(deadline, int) or not 0 <= deadline <= 24 * 14:
        errors["cancellation_deadline_hours"] = [_("Give a number of hours between 0 and 336.")]
    if errors:
        raise ValidationFailed(fields=errors)


def _qualifications_of(organisation: Organisation, ids: Iterable[int]) -> list[Qualification]:
    wanted = set(ids)
    found = list(Qualification.objects.filter(organisation=organisation, pk__in=wanted))
    if len(found) != len(wanted):
        raise ValidationFailed(
            fields={"required_qualifications": [_("Unknown qualification for this organisation.")]}
        )
    return found


@transaction.atomic
def shift_create(
    *,
    actor: User,
    organisation: Organisation,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    mode: str = ShiftMode.ON_SITE,
    description: str = "",
    address: str = "",
    meeting_link: str = "",
    waitlist_enabled: bool = True,
    cancellation_deadline_hours: int = 24,
    visibility: str = ShiftVisibility.MEMBERS,
    claims_open_at: dt.datetime | None = None,
    required_qualification_ids: Iterable[int] = (),
    publish: bool = False,
    series: ShiftSeries | None = None,
    series_date: dt.date | None = None,
) -> Shift:
    require_manager(user=actor, organisation_id=organisation.pk)
    values = {
        "title": title,
        "description": description,
        "mode": mode,
        "address": address,
        "meeting_link": meeting_link,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "capacity": capacity,
        "waitlist_enabled": waitlist_enabled,
        "cancellation_deadline_hours": cancellation_deadline_hours,
        "visibility": visibility,
        "claims_open_at": claims_open_at,
    }
    _validate_shift(values, organisation=organisation, creating=True)
    qualifications = _qualifications_of(organisation, required_qualification_ids)
    shift = Shift.objects.create(
        organisation=organisation,
        created_by=actor,
        status=ShiftStatus.PUBLISHED if publish else ShiftStatus.DRAFT,
        series=series,
        series_date=series_date,
        **values,
    )
    if qualifications:
        shift.required_qualifications.set(qualifications)
    if publish:
        _publish("shift.created", shift)
    return shift


@transaction.atomic
def shift_update(
    *,
    actor: User,
    shift_id: int,
    required_qualification_ids: Iterable[int] | None = None,
    keep_in_series: bool = False,
    **changes: Any,
) -> Shift:
    """Change a shift. Claims are kept when the time moves; the change is recorded.

    An occurrence of a series changed on its own leaves the series (later changes to the
    whole series skip it), unless the change comes from the series (``keep_in_series``).
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            fields={name: [_("This field cannot be changed.")] for name in unknown}
        )
    # Lock the shift: the capacity check and the promotions it may cause must see the
    # confirmed count that no concurrent claim or cancellation can change under us.
    shift = _locked_shift(shift_id)
    require_manager(user=actor, organisation_id=shift.organisation_id)
    if shift.status == ShiftStatus.CANCELLED or shift.ends_at <= timezone.now():
        raise ShiftNotEditable()
    values = {name: getattr(shift, name) for name in EDITABLE_FIELDS}
    changed = [name for name, value in changes.items() if values[name] != value]
    values.update(changes)
    time_changed = "starts_at" in changed or "ends_at" in changed
    _validate_shift(
        values | {"_time_changed": time_changed}, organisation=shift.organisation, creating=False
    )
    if values["capacity"] < shift.confirmed_count:
        raise CapacityBelowConfirmed()
    if required_qualification_ids is not None:
        qualifications = _qualifications_of(shift.organisation, required_qualification_ids)
        old = set(shift.required_qualifications.values_list("pk", flat=True))
        if old != {q.pk for q in qualifications}:
            shift.required_qualifications.set(qualifications)
            changed.append("required_qualifications")
    if not changed:
        return shift
    old_start, old_end = shift.starts_at, shift.ends_at
    for name in changed:
        if name in EDITABLE_FIELDS:
            setattr(shift, name, values[name])
    if shift.series_id is not None and not keep_in_series:
        shift.series_detached = True
    shift.save()
    change = ShiftChange.objects.create(
        shift=shift,
        changed_by=actor,
        fields=sorted(changed),
        old_starts_at=old_start if time_changed else None,
        old_ends_at=old_end if time_changed else None,
        new_starts_at=shift.starts_at if time_changed else None,
        new_ends_at=shift.ends_at if time_changed else None,
    )
    promoted = _promote_waitlist(shift) if shift.status == ShiftStatus.PUBLISHED else []
    if shift.status == ShiftStatus.PUBLISHED:
        affected = Claim.objects.filter(shift=shift, status__in=ACTIVE_CLAIM_STATUSES)
        now = timezone.now()
        if time_changed:
            # Volunteers hear of the move, and get reminders at the new times (the rows are
            # written now, in this transaction; the worker sends them).
            notification_records.record_shift_moved(
                claims=affected.only("pk", "volunteer_id"), shift=shift, change=change, now=now
            )
        notification_records.record_promotions(claims=promoted, shift=shift, now=now)
        _publish(
            "shift.changed",
            shift,
            user_ids=affected.values_list("volunteer_id", flat=True),
            time_changed=time_changed,
        )
        for claim in promoted:
            _publish("claim.promoted", shift, claim, user_ids=[claim.volunteer_id])
    return shift


@transaction.atomic
def shift_publish(*, actor: User, shift_id: int) -> Shift:
    shift = _locked_shift(shift_id)
    require_manager(user=actor, organisation_id=shift.organisation_id)
    if shift.status == ShiftStatus.PUBLISHED:
        return shift
    if shift.status == ShiftStatus.CANCELLED:
        raise ShiftNotEditable()
    if shift.starts_at <= timezone.now():
        raise ShiftStarted()
    shift.status = ShiftStatus.PUBLISHED
    shift.save(update_fields=["status", "updated_at"])
    _publish("shift.created", shift)
    return shift


@transaction.atomic
def shift_cancel(*, actor: User, shift_id: int) -> Shift:
    """Cancel a shift: every active claim ends; volunteers are told through the event.

    A draft was never seen by volunteers and can hold no claims: cancelling it deletes it,
    so it never turns up as "cancelled" in calendars, boards or figures.
    """
    shift = _locked_shift(shift_id)
    require_manager(user=actor, organisation_id=shift.organisation_id)
    if shift.status == ShiftStatus.CANCELLED:
        return shift
    if shift.ends_at <= timezone.now():
        raise ShiftNotEditable()
    if shift.status == ShiftStatus.DRAFT:
        shift.delete()
        shift.status = ShiftStatus.CANCELLED
        return shift
    active = list(
        Claim.objects.filter(shift=shift, status__in=ACTIVE_CLAIM_STATUSES).only(
            "pk", "volunteer_id"
        )
    )
    affected = [claim.volunteer_id for claim in active]
    now = timezone.now()
    Claim.objects.filter(shift=shift, status__in=ACTIVE_CLAIM_STATUSES).update(
        status=ClaimStatus.CANCELLED,
        cancelled_at=now,
        cancelled_by_shift=True,
        waitlist_ticket=None,
        updated_at=now,
    )
    was_published = shift.status == ShiftStatus.PUBLISHED
    shift.status = ShiftStatus.CANCELLED
    shift.confirmed_count = 0
    shift.waitlist_count = 0
    shift.save(update_fields=["status", "confirmed_count", "waitlist_count", "updated_at"])
    if was_published:
        notification_records.record_shift_cancelled(claims=active, shift=shift, now=now)
        _publish("shift.cancelled", shift, user_ids=affected)
    return shift


def _locked_shift(shift_id: int) -> Shift:
    try:
        return Shift.objects.select_for_update().select_related("organisation").get(pk=shift_id)
    except Shift.DoesNotExist:
        raise NotFound() from None


# --- eligibility -----------------------------------------------------------------------------


def shift_local_date(shift: Shift) -> dt.date:
    return shift.starts_at.astimezone(ZoneInfo(shift.organisation.time_zone)).date()


def eligibility_error(
    *,
    user: User,
    shift: Shift,
    is_member: bool,
    required_ids: list[int] | None = None,
    overlapping: bool | None = None,
    held: dict[int, dt.date | None] | None = None,
) -> DomainError | None:
    """Why ``user`` may not hold a seat on ``shift`` (ignoring seats), or None if they may.

    Used when claiming, when promoting from the waitlist and when the bot lists shifts that
    match a volunteer, so all apply the same rules. Callers that already know the required
    qualification ids, whether the volunteer overlaps, or the qualifications they hold
    (``held``: id -> expiry date or None) pass them in to save the queries.
    """
    if not is_member and shift.visibility != ShiftVisibility.PUBLIC:
        return NotMember()
    if required_ids is None:
        required_ids = [q.pk for q in shift.required_qualifications.all()]
    if required_ids and held is not None:
        day = shift_local_date(shift)
        if any(
            q not in held or (held[q] is not None and held[q] < day)  # type: ignore[operator]
            for q in required_ids
        ):
            return NotQualified()
    elif required_ids:
        held_count = VolunteerQualification.objects.filter(
            VolunteerQualification.valid_on_q(shift_local_date(shift)),
            user=user,
            qualification_id__in=required_ids,
        ).count()
        if held_count < len(required_ids):
            return NotQualified()
    if overlapping is None:
        overlapping = overlapping_claims(user.pk, shift).exists()
    if overlapping:
        return Overlap()
    return None


def overlapping_claims(volunteer_id: int | Any, shift: Shift | Any) -> QuerySet[Claim]:
    """The volunteer's confirmed claims on other shifts that overlap ``shift`` in time.

    ``shift`` may be a Shift or an OuterRef expression (as a subquery of a shift query)."""
    starts_at: dt.datetime | OuterRef
    ends_at: dt.datetime | OuterRef
    pk: int | OuterRef
    if isinstance(shift, Shift):
        starts_at, ends_at, pk = shift.starts_at, shift.ends_at, shift.pk
    else:
        starts_at, ends_at, pk = OuterRef("starts_at"), OuterRef("ends_at"), OuterRef("pk")
    return Claim.objects.filter(
        volunteer_id=volunteer_id,
        status=ClaimStatus.CONFIRMED,
        shift__starts_at__lt=ends_at,
        shift__ends_at__gt=starts_at,
    ).exclude(shift_id=pk)


# --- claims ----------------------------------------------------------------------------------


def claim_create(*, volunteer: User, shift_id: int) -> ClaimResult:
    """Claim a seat on a shift: confirmed while seats remain, else waitlisted or refused.

    Idempotent: claiming a shift one already holds returns that claim with ``created=False``.
    """
    try:
        return _claim_create(volunteer, shift_id)
    except IntegrityError:
        # Only the unique (shift, volunteer) constraint can fail here, when the same person's
        # claim was inserted by a request that had not committed when we looked. Their claim
        # exists now; the second attempt returns it.
        return _claim_create(volunteer, shift_id)


def _claim_read(volunteer_id: int, shift_id: int, now: dt.datetime) -> QuerySet[Shift]:
    """The shift, annotated with everything claim_create checks about this volunteer, in one
    query: their existing claim, membership (and whether no-shows blocked it), overlap,
    upcoming claims and how many qualifications the shift requires."""
    mine = Claim.objects.filter(shift_id=OuterRef("pk"), volunteer_id=volunteer_id)
    upcoming = (
        Claim.objects.filter(
            volunteer_id=volunteer_id, status__in=ACTIVE_CLAIM_STATUSES, shift__ends_at__gt=now
        )
        .values("volunteer_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    required = (
        # django-stubs doesn't see the annotation `n` on the auto-created through model.
        Shift.required_qualifications.through.objects.filter(  # type: ignore[misc]
            shift_id=OuterRef("pk")
        )
        .values("shift_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    member = Membership.objects.filter(
        user_id=volunteer_id, organisation_id=OuterRef("organisation_id")
    )
    return (
        Shift.objects.select_related("organisation")
        .annotate(
            my_claim_id=Subquery(mine.values("pk")[:1]),
            my_claim_status=Subquery(mine.values("status")[:1]),
            is_member=Exists(member),
            claims_blocked=Exists(member.filter(claims_blocked_at__isnull=False)),
            overlapping=Exists(overlapping_claims(volunteer_id, OuterRef("pk"))),
            upcoming=Coalesce(Subquery(upcoming), 0),
            required_count=Coalesce(Subquery(required), 0),
        )
        .filter(pk=shift_id)
    )


# The hottest read of the API: built and compiled by the ORM once per process (a few ms of
# Python per claim otherwise), run with each claim's values (backend/core/compiled.py).
_CLAIM_READ = CompiledQuery(
    _claim_read,
    Placeholder("volunteer_id", -914_736_251),
    Placeholder("shift_id", -837_162_549),
    Placeholder("now", dt.datetime(1901, 2, 3, 4, 5, 6, 789_012, tzinfo=dt.UTC)),
)


def _shift_for_claim(volunteer_id: int, shift_id: int, now: dt.datetime) -> Shift:
    shift = _CLAIM_READ.first(
        using=router.db_for_read(Shift), volunteer_id=volunteer_id, shift_id=shift_id, now=now
    )
    if shift is None:
        raise NotFound()
    return shift


@transaction.atomic
def _claim_create(volunteer: User, shift_id: int) -> ClaimResult:
    now = timezone.now()
    # Lock the volunteer's profile: one volunteer's claims then run one at a time, so the
    # overlap and upcoming-claims checks below can't be raced by their own parallel requests.
    if not VolunteerProfile.objects.select_for_update().filter(user_id=volunteer.pk).exists():
        profile_ensure(user=volunteer)
        VolunteerProfile.objects.select_for_update().filter(user_id=volunteer.pk).exists()
    shift = _shift_for_claim(volunteer.pk, shift_id, now)
    existing: Claim | None = None
    if shift.my_claim_id is not None:  # type: ignore[attr-defined]
        existing = Claim.objects.get(pk=shift.my_claim_id)  # type: ignore[attr-defined]
        existing.shift = shift
        if existing.status in ACTIVE_CLAIM_STATUSES:
            return ClaimResult(existing, created=False)
    is_member: bool = shift.is_member  # type: ignore[attr-defined]
    if not is_member and shift.visibility != ShiftVisibility.PUBLIC:
        # Before any other check, so outsiders learn nothing about the shift's state.
        raise NotMember()
    if shift.status != ShiftStatus.PUBLISHED:
        raise ShiftNotOpen()
    if shift.starts_at <= now:
        raise ShiftStarted()
    if shift.claims_open_at is not None and now < shift.claims_open_at:
        opens = shift.claims_open_at.astimezone(ZoneInfo(shift.organisation.time_zone))
        raise ClaimsNotOpen(
            _("Claims for this shift open on %(when)s.") % {"when": f"{opens:%Y-%m-%d %H:%M}"}
        )
    if shift.claims_blocked:  # type: ignore[attr-defined]
        raise ClaimBlocked()
    error = eligibility_error(
        user=volunteer,
        shift=shift,
        is_member=is_member,
        required_ids=None if shift.required_count else [],  # type: ignore[attr-defined]
        overlapping=shift.overlapping,  # type: ignore[attr-defined]
    )
    if error is not None:
        raise error
    if shift.upcoming >= settings.INZET_MAX_UPCOMING_CLAIMS:  # type: ignore[attr-defined]
        raise TooManyClaims()

    status: str
    ticket: int | None = None
    if (counts := _take_seat(shift.pk)) is not None:
        status = ClaimStatus.CONFIRMED
    elif (taken := _take_ticket(shift.pk)) is not None:
        status, ticket, counts = ClaimStatus.WAITLISTED, taken[2], (taken[0], taken[1])
    else:
        # Neither a seat nor a ticket: the shift closed, its waitlist is off, or a seat was
        # freed between the two updates. Lock the shift for a stable answer.
        locked = _locked_shift(shift.pk)
        if locked.status != ShiftStatus.PUBLISHED:
            raise ShiftNotOpen()
        if (counts := _take_seat(shift.pk)) is not None:
            status = ClaimStatus.CONFIRMED
        elif not locked.waitlist_enabled:
            raise ShiftFull()
        else:
            # Published, full and with a waitlist, and we hold the lock: this cannot miss.
            taken = _take_ticket(shift.pk)
            assert taken is not None
            status, ticket, counts = ClaimStatus.WAITLISTED, taken[2], (taken[0], taken[1])
    shift.confirmed_count, shift.waitlist_count = counts

    if not is_member:
        # A public shift: claiming it makes the volunteer a member.
        Membership.objects.get_or_create(
            user_id=volunteer.pk,
            organisation_id=shift.organisation_id,
            defaults={"role": Role.VOLUNTEER},
        )
    claim = existing or Claim(shift=shift, volunteer=volunteer)
    claim.status = status
    claim.waitlist_ticket = ticket
    claim.confirmed_at = now if status == ClaimStatus.CONFIRMED else None
    claim.cancelled_at = None
    claim.promoted_at = None
    claim.late_cancellation = False
    claim.cancelled_by_shift = False
    claim.save()
    if status == ClaimStatus.CONFIRMED:
        # The one extra INSERT of the claim path: reminders are planned by the worker.
        notification_records.record_claim_confirmed(claim=claim, shift=shift, now=now)
    event: EventType = "claim.confirmed" if status == ClaimStatus.CONFIRMED else "claim.waitlisted"
    _publish(event, shift, claim, user_ids=[volunteer.pk])
    return ClaimResult(claim, created=True)


def _take_seat(shift_id: int) -> tuple[int, int] | None:
    """Take one seat if one is free; return the new (confirmed, waitlist) counts, else None.

    One conditional UPDATE: the row lock it takes makes concurrent takers queue, and each
    re-checks ``confirmed_count < capacity`` on the row as the one before left it, so the
    counter can never pass the capacity. RETURNING (PostgreSQL, SQLite >= 3.35) saves the
    query that would read the new counts back.
    """
    table = Shift._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET confirmed_count = confirmed_count + 1 "
            "WHERE id = %s AND status = %s AND confirmed_count < capacity "
            "RETURNING confirmed_count, waitlist_count",
            [shift_id, ShiftStatus.PUBLISHED.value],
        )
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def _take_ticket(shift_id: int) -> tuple[int, int, int] | None:
    """Take the next waitlist ticket if the shift is published, full and has a waitlist;
    return the (confirmed, waitlist) counts and the ticket, else None.

    Like :func:`_take_seat`, one conditional UPDATE: tickets are handed out one at a time by
    the row lock, and a seat freed meanwhile makes it miss (the caller then takes the seat).
    """
    table = Shift._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET waitlist_seq = waitlist_seq + 1, "
            "waitlist_count = waitlist_count + 1 "
            "WHERE id = %s AND status = %s AND waitlist_enabled AND confirmed_count >= capacity "
            "RETURNING confirmed_count, waitlist_count, waitlist_seq",
            [shift_id, ShiftStatus.PUBLISHED.value],
        )
        row = cursor.fetchone()
    return (row[0], row[1], row[2]) if row else None


def cancellation_is_late(*, shift: Shift, now: dt.datetime) -> bool:
    """Whether cancelling a confirmed claim on ``shift`` now is past its deadline (it is still
    allowed, but flagged, and volunteers are warned before they confirm)."""
    return now > shift.starts_at - dt.timedelta(hours=shift.cancellation_deadline_hours)


@transaction.atomic
def claim_cancel(*, actor: User, claim_id: int) -> Claim:
    """Cancel a claim. A freed seat goes to the first eligible waitlisted volunteer.

    The volunteer themself or a coordinator of the organisation may cancel. Cancelling after
    the shift's cancellation deadline still works, and is flagged as late.
    """
    try:
        shift_id, owner_id = Claim.objects.values_list("shift_id", "volunteer_id").get(pk=claim_id)
    except Claim.DoesNotExist:
        raise NotFound() from None
    # Lock the shift before touching the claim: releasing the seat and giving it to the next
    # in line must be one step, or a newcomer could take the seat ahead of the waitlist.
    shift = _locked_shift(shift_id)
    if owner_id != actor.pk and not (
        actor.is_staff or is_manager(user=actor, organisation_id=shift.organisation_id)
    ):
        raise PermissionDenied()
    claim = Claim.objects.get(pk=claim_id)
    if claim.status == ClaimStatus.CANCELLED:
        return claim
    if claim.status not in ACTIVE_CLAIM_STATUSES:
        raise ClaimNotActive()
    now = timezone.now()
    if shift.starts_at <= now:
        raise ShiftStarted()
    was_confirmed = claim.status == ClaimStatus.CONFIRMED
    claim.status = ClaimStatus.CANCELLED
    claim.cancelled_at = now
    claim.waitlist_ticket = None
    claim.late_cancellation = was_confirmed and cancellation_is_late(shift=shift, now=now)
    claim.save(
        update_fields=[
            "status",
            "cancelled_at",
            "waitlist_ticket",
            "late_cancellation",
            "updated_at",
        ]
    )
    if was_confirmed:
        shift.confirmed_count -= 1
    else:
        shift.waitlist_count -= 1
    shift.save(update_fields=["confirmed_count", "waitlist_count"])
    promoted = _promote_waitlist(shift) if was_confirmed else []
    if claim.late_cancellation:
        notification_records.record_late_cancellation(claim=claim, shift=shift, now=now)
    notification_records.record_promotions(claims=promoted, shift=shift, now=now)
    claim.shift = shift
    _publish("claim.cancelled", shift, claim, user_ids=[claim.volunteer_id])
    for other in promoted:
        _publish("claim.promoted", shift, other, user_ids=[other.volunteer_id])
    return claim


def _promote_waitlist(shift: Shift) -> list[Claim]:
    """Fill free seats from the waitlist, first come first served. The caller holds the lock.

    A waitlisted volunteer who now overlaps another shift or lacks a qualification is skipped
    (and stays waitlisted).
    """
    promoted: list[Claim] = []
    if shift.confirmed_count >= shift.capacity or shift.waitlist_count == 0:
        return promoted
    now = timezone.now()
    waiting = (
        Claim.objects.filter(shift=shift, status=ClaimStatus.WAITLISTED)
        .select_related("volunteer")
        .order_by("waitlist_ticket")
    )
    members = dict(
        Membership.objects.filter(organisation_id=shift.organisation_id).values_list(
            "user_id", "claims_blocked_at"
        )
    )
    for claim in waiting:
        if shift.confirmed_count >= shift.capacity:
            break
        # Lock the candidate's profile before judging them. Their own claim_create holds it
        # while it checks for overlap and takes a seat elsewhere; without this, both checks
        # could pass on uncommitted data and put them on two overlapping shifts at once.
        # This is the one lock taken after a shift lock. The candidate's own claim on this
        # shift can't be waiting for our shift lock (an active claim returns before taking
        # it); a deadlock would need two promoting cancellations and two volunteers each
        # claiming the other's shift at once, and PostgreSQL would abort one of them.
        VolunteerProfile.objects.select_for_update().filter(user_id=claim.volunteer_id).exists()
        if members.get(claim.volunteer_id) is not None:
            continue  # blocked after no-shows since they joined the waitlist
        if eligibility_error(
            user=claim.volunteer, shift=shift, is_member=claim.volunteer_id in members
        ):
            continue
        claim.status = ClaimStatus.CONFIRMED
        claim.waitlist_ticket = None
        claim.confirmed_at = now
        claim.promoted_at = now
        claim.save(
            update_fields=["status", "waitlist_ticket", "confirmed_at", "promoted_at", "updated_at"]
        )
        shift.confirmed_count += 1
        shift.waitlist_count -= 1
        promoted.append(claim)
    if promoted:
        shift.save(update_fields=["confirmed_count", "waitlist_count"])
    return promoted


# --- on the day: check-in, check-out, attendance, no-shows -----------------------------------

# A volunteer can check in from this long before their shift starts.
CHECK_IN_EARLY = dt.timedelta(minutes=30)
# A check-out later than this after the shift's end counts as the end plus this: forgotten
# check-outs must not turn into days of volunteering.
CHECK_OUT_GRACE = dt.timedelta(hours=2)


def check_in_open(*, shift: Shift, now: dt.datetime) -> bool:
    """Whether a volunteer may check themself in on ``shift`` now."""
    return shift.starts_at - CHECK_IN_EARLY <= now <= shift.ends_at


def _locked_claim(claim_id: int) -> Claim:
    try:
        return (
            Claim.objects.select_for_update(of=("self",))
            .select_related("shift__organisation")
            .get(pk=claim_id)
        )
    except Claim.DoesNotExist:
        raise NotFound() from None


def _is_manager_of(actor: User, shift: Shift) -> bool:
    return actor.is_staff or is_manager(user=actor, organisation_id=shift.organisation_id)


def _minutes(start: dt.datetime, end: dt.datetime) -> int:
    return max(round((end - start).total_seconds() / 60), 0)


@transaction.atomic
def claim_check_in(*, actor: User, claim_id: int) -> Claim:
    """Check a volunteer in: by themself (from shortly before the start until the end) or by a
    coordinator of the organisation (also afterwards, to fix the record). Idempotent."""
    # The claim row lock makes check-in, check-out and no-show marking of one claim queue.
    claim = _locked_claim(claim_id)
    shift = claim.shift
    manager = _is_manager_of(actor, shift)
    if claim.volunteer_id != actor.pk and not manager:
        raise PermissionDenied()
    if claim.status != ClaimStatus.CONFIRMED:
        raise CheckInNotPossible()
    if claim.checked_in_at is not None:
        return claim
    now = timezone.now()
    if not (check_in_open(shift=shift, now=now) or (manager and now > shift.ends_at)):
        raise CheckInNotPossible()
    claim.checked_in_at = min(now, shift.ends_at)
    claim.save(update_fields=["checked_in_at", "updated_at"])
    _publish("claim.checked_in", shift, claim, user_ids=[claim.volunteer_id])
    return claim


@transaction.atomic
def claim_check_out(*, actor: User, claim_id: int) -> Claim:
    """Check a volunteer out: the claim is completed with the minutes between check-in and
    check-out (a forgotten check-out counts until the end of the shift plus a grace)."""
    claim = _locked_claim(claim_id)
    shift = claim.shift
    if claim.volunteer_id != actor.pk and not _is_manager_of(actor, shift):
        raise PermissionDenied()
    if claim.status == ClaimStatus.COMPLETED and claim.checked_out_at is not None:
        return claim
    if claim.status != ClaimStatus.CONFIRMED or claim.checked_in_at is None:
        raise NotCheckedIn()
    now = timezone.now()
    claim.checked_out_at = min(now, shift.ends_at + CHECK_OUT_GRACE)
    claim.status = ClaimStatus.COMPLETED
    claim.minutes_volunteered = _minutes(claim.checked_in_at, claim.checked_out_at)
    claim.save(update_fields=["checked_out_at", "status", "minutes_volunteered", "updated_at"])
    _publish("claim.checked_out", shift, claim, user_ids=[claim.volunteer_id])
    return claim


@transaction.atomic
def claim_confirm_attendance(*, actor: User, claim_id: int) -> Claim:
    """A coordinator confirms that the volunteer came: completed, with the shift's times as
    hours (or check-in to check-out when both were recorded). Also corrects a no-show."""
    claim = _locked_claim(claim_id)
    shift = claim.shift
    if not _is_manager_of(actor, shift):
        raise PermissionDenied()
    if claim.status == ClaimStatus.COMPLETED:
        return claim
    if claim.status not in (ClaimStatus.CONFIRMED, ClaimStatus.NO_SHOW):
        raise ClaimNotActive()
    if shift.starts_at > timezone.now():
        raise ShiftStarted(_("Attendance can be confirmed once the shift has started."))
    if claim.status == ClaimStatus.NO_SHOW:
        _no_show_undo(claim)
    claim.status = ClaimStatus.COMPLETED
    claim.minutes_volunteered = _minutes(shift.starts_at, shift.ends_at)
    claim.save(update_fields=["status", "minutes_volunteered", "updated_at"])
    _publish("claim.completed", shift, claim, user_ids=[claim.volunteer_id])
    return claim


@transaction.atomic
def claim_mark_no_show(*, actor: User, claim_id: int) -> Claim:
    """A coordinator marks a confirmed volunteer who did not check in as a no-show, once the
    shift has ended. At the organisation's limit the volunteer's claims are blocked until a
    coordinator clears it (``membership_clear_claim_block``)."""
    claim = _locked_claim(claim_id)
    shift = claim.shift
    if not _is_manager_of(actor, shift):
        raise PermissionDenied()
    if claim.status == ClaimStatus.NO_SHOW:
        return claim
    if claim.status != ClaimStatus.CONFIRMED:
        raise ClaimNotActive()
    if claim.checked_in_at is not None:
        raise CheckInNotPossible(_("This volunteer checked in; confirm their attendance."))
    now = timezone.now()
    if shift.ends_at > now:
        raise ShiftNotEnded()
    claim.status = ClaimStatus.NO_SHOW
    claim.minutes_volunteered = None
    claim.save(update_fields=["status", "minutes_volunteered", "updated_at"])
    # Lock the membership: two no-shows marked at once must both count.
    membership = (
        Membership.objects.select_for_update()
        .filter(user_id=claim.volunteer_id, organisation_id=shift.organisation_id)
        .first()
    )
    if membership is not None:
        membership.no_show_count += 1
        fields = ["no_show_count"]
        limit = shift.organisation.no_show_limit
        if limit and membership.no_show_count >= limit and membership.claims_blocked_at is None:
            membership.claims_blocked_at = now
            fields.append("claims_blocked_at")
        membership.save(update_fields=fields)
    _publish("claim.no_show", shift, claim, user_ids=[claim.volunteer_id])
    return claim


def _no_show_undo(claim: Claim) -> None:
    """A no-show that was a mistake no longer counts (the block stays until cleared)."""
    Membership.objects.filter(
        user_id=claim.volunteer_id,
        organisation_id=claim.shift.organisation_id,
        no_show_count__gt=0,
    ).update(no_show_count=F("no_show_count") - 1)


# --- planning: series and copying a week -----------------------------------------------------

# A series is created up to a year ahead at most.
MAX_SERIES_OCCURRENCES = 366
SERIES_TEMPLATE_FIELDS = (
    "title",
    "description",
    "mode",
    "address",
    "meeting_link",
    "capacity",
    "waitlist_enabled",
    "cancellation_deadline_hours",
    "visibility",
    "claims_open_at",
)
SERIES_RULE_FIELDS = ("frequency", "interval", "weekdays", "starts_on", "until")
SERIES_TIME_FIELDS = ("start_time", "end_time")


def local_times(
    day: dt.date, start_time: dt.time, duration: dt.timedelta, zone: ZoneInfo
) -> tuple[dt.datetime, dt.datetime]:
    """Start and end of a shift on ``day`` at a wall-clock time in ``zone``: a 14:00 shift
    is at 14:00 local time whether daylight saving time is on or off that day."""
    start = dt.datetime.combine(day, start_time)
    return start.replace(tzinfo=zone), (start + duration).replace(tzinfo=zone)


def series_dates(series: ShiftSeries) -> list[dt.date]:
    """The dates of the series' rule (RFC 5545 RRULE semantics, by python-dateutil)."""
    from dateutil import rrule

    frequency = rrule.DAILY if series.frequency == SeriesFrequency.DAILY else rrule.WEEKLY
    weekdays = sorted(set(series.weekdays)) if series.frequency == SeriesFrequency.WEEKLY else []
    rule = rrule.rrule(
        frequency,
        interval=series.interval,
        byweekday=weekdays or None,
        dtstart=dt.datetime.combine(series.starts_on, dt.time.min),
        until=dt.datetime.combine(series.until, dt.time.min),
    )
    # One more than allowed, so validation can tell a too-long series.
    return [moment.date() for moment in itertools.islice(rule, MAX_SERIES_OCCURRENCES + 1)]


def _duration(start_time: dt.time, end_time: dt.time) -> dt.timedelta:
    """An end time earlier than (or equal to) the start time is on the next day."""
    start = dt.datetime.combine(dt.date.min, start_time)
    end = dt.datetime.combine(dt.date.min, end_time)
    if end <= start:
        end += dt.timedelta(days=1)
    return end - start


def _validate_series(series: ShiftSeries, dates: list[dt.date]) -> None:
    errors: dict[str, list[str]] = {}
    if series.frequency not in SeriesFrequency.values:
        errors["frequency"] = [_("Choose daily or weekly.")]
    if not 1 <= series.interval <= 52:
        errors["interval"] = [_("Give an interval between 1 and 52.")]
    if any(not isinstance(d, int) or not 0 <= d <= 6 for d in series.weekdays):
        errors["weekdays"] = [_("Weekdays are 0 (Monday) to 6 (Sunday).")]
    if series.until < series.starts_on:
        errors["until"] = [_("The series must end on or after its first day.")]
    elif len(dates) > MAX_SERIES_OCCURRENCES:
        errors["until"] = [_("A series has at most 366 occurrences.")]
    elif not dates:
        errors["until"] = [_("This rule has no dates between the first and the last day.")]
    if errors:
        raise ValidationFailed(fields=errors)


def _occurrence_values(series: ShiftSeries) -> dict[str, Any]:
    return {name: getattr(series, name) for name in SERIES_TEMPLATE_FIELDS}


@transaction.atomic
def series_create(
    *,
    actor: User,
    organisation: Organisation,
    title: str,
    capacity: int,
    frequency: str,
    starts_on: dt.date,
    until: dt.date,
    start_time: dt.time,
    end_time: dt.time,
    weekdays: list[int] | None = None,
    interval: int = 1,
    required_qualification_ids: Iterable[int] = (),
    publish: bool = False,
    **template: Any,
) -> ShiftSeries:
    """Create a recurring shift and its occurrences (those still in the future).

    Every occurrence goes through ``shift_create``, so it is validated like any shift.
    """
    require_manager(user=actor, organisation_id=organisation.pk)
    unknown = set(template) - set(SERIES_TEMPLATE_FIELDS)
    if unknown:
        raise ValidationFailed(fields={name: [_("Unknown field.")] for name in unknown})
    series = ShiftSeries(
        organisation=organisation,
        title=title,
        capacity=capacity,
        frequency=frequency,
        interval=interval,
        weekdays=sorted(set(weekdays or [])),
        starts_on=starts_on,
        until=until,
        start_time=start_time,
        duration_minutes=int(_duration(start_time, end_time).total_seconds() // 60),
        created_by=actor,
        **template,
    )
    dates = series_dates(series) if series.until >= series.starts_on else []
    _validate_series(series, dates)
    series.save()
    qualification_ids = list(required_qualification_ids)
    if qualification_ids:
        series.required_qualifications.set(_qualifications_of(organisation, qualification_ids))
    _series_add_occurrences(actor, series, dates, publish=publish)
    return series


def _series_add_occurrences(
    actor: User, series: ShiftSeries, dates: Iterable[dt.date], *, publish: bool
) -> list[Shift]:
    zone = ZoneInfo(series.organisation.time_zone)
    duration = dt.timedelta(minutes=series.duration_minutes)
    now = timezone.now()
    qualification_ids = list(series.required_qualifications.values_list("pk", flat=True))
    created = []
    for day in dates:
        starts_at, ends_at = local_times(day, series.start_time, duration, zone)
        if starts_at <= now:
            continue  # a series started today skips what already began
        created.append(
            shift_create(
                actor=actor,
                organisation=series.organisation,
                starts_at=starts_at,
                ends_at=ends_at,
                required_qualification_ids=qualification_ids,
                publish=publish,
                series=series,
                series_date=day,
                **_occurrence_values(series),
            )
        )
    return created


@transaction.atomic
def series_update(
    *,
    actor: User,
    series_id: int,
    required_qualification_ids: Iterable[int] | None = None,
    publish_new: bool | None = None,
    **changes: Any,
) -> ShiftSeries:
    """Change a whole series: its future occurrences follow (except those edited on their
    own). A changed rule cancels occurrences whose date it no longer has and adds the new
    ones; claims on occurrences that stay are kept, as with any shift change."""
    allowed = set(SERIES_TEMPLATE_FIELDS) | set(SERIES_RULE_FIELDS) | set(SERIES_TIME_FIELDS)
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(
            fields={name: [_("This field cannot be changed.")] for name in unknown}
        )
    try:
        # Lock the series: two edits of the same series run one after the other.
        series = (
            ShiftSeries.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .get(pk=series_id)
        )
    except ShiftSeries.DoesNotExist:
        raise NotFound() from None
    require_manager(user=actor, organisation_id=series.organisation_id)
    zone = ZoneInfo(series.organisation.time_zone)
    old_start, old_duration = series.start_time, series.duration_minutes
    start_time = changes.pop("start_time", series.start_time)
    end_default = (
        dt.datetime.combine(dt.date.min, old_start) + dt.timedelta(minutes=old_duration)
    ).time()
    end_time = changes.pop("end_time", end_default)
    series.start_time = start_time
    series.duration_minutes = int(_duration(start_time, end_time).total_seconds() // 60)
    if "weekdays" in changes:
        changes["weekdays"] = sorted(set(changes["weekdays"]))
    for name, value in changes.items():
        setattr(series, name, value)
    dates = series_dates(series) if series.until >= series.starts_on else []
    _validate_series(series, dates)
    series.save()
    if required_qualification_ids is not None:
        series.required_qualifications.set(
            _qualifications_of(series.organisation, required_qualification_ids)
        )

    now = timezone.now()
    future = list(
        Shift.objects.filter(series=series, starts_at__gt=now).exclude(status=ShiftStatus.CANCELLED)
    )
    wanted = set(dates)
    duration = dt.timedelta(minutes=series.duration_minutes)
    for shift in future:
        if shift.series_detached:
            continue
        if shift.series_date not in wanted:
            shift_cancel(actor=actor, shift_id=shift.pk)
            continue
        starts_at, ends_at = local_times(shift.series_date, series.start_time, duration, zone)
        shift_update(
            actor=actor,
            shift_id=shift.pk,
            keep_in_series=True,
            required_qualification_ids=required_qualification_ids,
            starts_at=starts_at,
            ends_at=ends_at,
            **_occurrence_values(series),
        )
    have = set(Shift.objects.filter(series=series).values_list("series_date", flat=True))
    if publish_new is None:
        publish_new = any(s.status == ShiftStatus.PUBLISHED for s in future)
    _series_add_occurrences(actor, series, sorted(wanted - have), publish=publish_new)
    return series


@transaction.atomic
def series_cancel(*, actor: User, series_id: int) -> ShiftSeries:
    """Cancel every future occurrence of a series (past ones stay, with their hours)."""
    try:
        series = ShiftSeries.objects.get(pk=series_id)
    except ShiftSeries.DoesNotExist:
        raise NotFound() from None
    require_manager(user=actor, organisation_id=series.organisation_id)
    upcoming = Shift.objects.filter(series=series, starts_at__gt=timezone.now()).exclude(
        status=ShiftStatus.CANCELLED
    )
    for shift_id in list(upcoming.values_list("pk", flat=True)):
        shift_cancel(actor=actor, shift_id=shift_id)
    return series


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@transaction.atomic
def shifts_copy_week(
    *,
    actor: User,
    organisation: Organisation,
    from_week: dt.date,
    to_week: dt.date,
    publish: bool = False,
) -> list[Shift]:
    """Copy every shift of one week (Monday to Sunday, local time; not the cancelled ones)
    to another week, at the same local wall-clock times. All or nothing."""
    require_manager(user=actor, organisation_id=organisation.pk)
    source, target = week_start(from_week), week_start(to_week)
    if source == target:
        raise ValidationFailed(fields={"to_week": [_("Choose another week to copy to.")]})
    zone = ZoneInfo(organisation.time_zone)
    days = target - source
    begin = dt.datetime.combine(source, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(source + dt.timedelta(days=7), dt.time.min, tzinfo=zone)
    originals = (
        Shift.objects.filter(organisation=organisation, starts_at__gte=begin, starts_at__lt=end)
        .exclude(status=ShiftStatus.CANCELLED)
        .prefetch_related("required_qualifications")
        .order_by("starts_at", "id")
    )

    def moved(moment: dt.datetime | None) -> dt.datetime | None:
        if moment is None:
            return None
        local = moment.astimezone(zone).replace(tzinfo=None) + days
        return local.replace(tzinfo=zone)

    copies = []
    for shift in originals:
        values = {name: getattr(shift, name) for name in EDITABLE_FIELDS}
        values.update(
            starts_at=moved(shift.starts_at),
            ends_at=moved(shift.ends_at),
            claims_open_at=moved(shift.claims_open_at),
        )
        copies.append(
            shift_create(
                actor=actor,
                organisation=organisation,
                required_qualification_ids=[q.pk for q in shift.required_qualifications.all()],
                publish=publish,
                **values,
            )
        )
    return copies


@transaction.atomic
def shift_record_attendance(
    *, actor: User, shift_id: int, absent_claim_ids: Iterable[int] = ()
) -> list[Claim]:
    """After a shift, in one go: the listed volunteers are no-shows, every other confirmed
    volunteer came (completed with the shift's hours, or check-in to check-out)."""
    shift = _locked_shift(shift_id)
    require_manager(user=actor, organisation_id=shift.organisation_id)
    if shift.ends_at > timezone.now():
        raise ShiftNotEnded()
    absent = set(absent_claim_ids)
    open_claims = list(
        Claim.objects.filter(shift=shift, status=ClaimStatus.CONFIRMED).values_list("pk", flat=True)
    )
    unknown = absent - set(open_claims)
    if unknown:
        raise ValidationFailed(
            fields={"absent": [_("Only confirmed claims on this shift can be no-shows.")]}
        )
    return [
        claim_mark_no_show(actor=actor, claim_id=claim_id)
        if claim_id in absent
        else claim_confirm_attendance(actor=actor, claim_id=claim_id)
        for claim_id in open_claims
    ]

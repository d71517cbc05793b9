"""Creating, changing, publishing and cancelling shifts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.allowances.models import HigherCapCategory
from backend.core.errors import (
    CapacityBelowConfirmed,
    ShiftNotEditable,
    ShiftStarted,
    ValidationFailed,
)
from backend.notifications import records as notification_records
from backend.organisations.info_note import require_publishable
from backend.organisations.models import (
    Organisation,
    Qualification,
)
from backend.organisations.selectors import require_manager
from backend.shifts import locks
from backend.shifts.locks import transaction_retrying
from backend.shifts.models import (
    ACTIVE_CLAIM_STATUSES,
    SHIFT_EDITABLE_FIELDS,
    Claim,
    ClaimStatus,
    Shift,
    ShiftChange,
    ShiftMode,
    ShiftSeries,
    ShiftStatus,
    ShiftVisibility,
)
from backend.shifts.services.publishing import publish_event
from backend.shifts.services.stand_ins import close_stand_ins
from backend.shifts.services.swaps import close_swaps
from backend.shifts.services.waitlist import promote_waitlist

MAX_SHIFT_LENGTH = dt.timedelta(hours=settings.INZET_MAX_SHIFT_HOURS)

# Fields a coordinator may set on a shift (the model's list).
EDITABLE_FIELDS = SHIFT_EDITABLE_FIELDS

# A shift's own minimum age, above the law's (which always applies).
MIN_AGE_RANGE = (16, 99)


def shift_field_errors(values: dict[str, Any], *, creating: bool) -> dict[str, list[str]]:
    """What is wrong with a shift's values, per field, all at once. A value that is missing is
    not judged (a form asks with what it could read, to show every error in one go); the
    services call it with every value."""
    errors: dict[str, list[str]] = {}
    starts_at: dt.datetime | None = values.get("starts_at")
    ends_at: dt.datetime | None = values.get("ends_at")
    if starts_at is not None and ends_at is not None:
        if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
            errors["starts_at"] = [_("Give times with a time zone offset.")]
        elif ends_at <= starts_at:
            errors["ends_at"] = [_("The end must be after the start.")]
        elif ends_at - starts_at > MAX_SHIFT_LENGTH:
            errors["ends_at"] = [_("A shift lasts at most 24 hours.")]
    moved = creating or values.get("_time_changed")
    if (
        starts_at is not None
        and "starts_at" not in errors
        and not timezone.is_naive(starts_at)
        and moved
        and starts_at <= timezone.now()
    ):
        errors["starts_at"] = [_("The start must be in the future.")]
    if "capacity" in values:
        capacity = values["capacity"]
        if not isinstance(capacity, int) or not 1 <= capacity <= 500:
            errors["capacity"] = [_("Capacity must be between 1 and 500.")]
    if "mode" in values:
        if values["mode"] not in ShiftMode.values:
            errors["mode"] = [_("Choose on_site or online.")]
        elif values["mode"] == ShiftMode.ON_SITE and not values.get("address", "").strip():
            errors["address"] = [_("An on-site shift needs an address.")]
        elif values["mode"] == ShiftMode.ONLINE and not values.get("meeting_link", "").strip():
            errors["meeting_link"] = [_("An online shift needs a meeting link.")]
    if values.get("visibility", ShiftVisibility.MEMBERS) not in ShiftVisibility.values:
        errors["visibility"] = [_("Choose members or public.")]
    if "title" in values and not str(values["title"]).strip():
        errors["title"] = [_("This field may not be blank.")]
    opens = values.get("claims_open_at")
    if opens is not None and starts_at is not None and "starts_at" not in errors:
        if timezone.is_naive(opens):
            errors["claims_open_at"] = [_("Give times with a time zone offset.")]
        elif opens >= starts_at:
            errors["claims_open_at"] = [_("Claims must open before the shift starts.")]
    if values.get("allowance_category", "") not in HigherCapCategory.values:
        errors["allowance_category"] = [_("Choose one of the categories offered, or none.")]
    min_age = values.get("min_age")
    low, high = MIN_AGE_RANGE
    if min_age is not None and (not isinstance(min_age, int) or not low <= min_age <= high):
        errors["min_age"] = [_("Give an age from 16 to 99, or none.")]
    deadline = values.get("cancellation_deadline_hours", 0)
    if not isinstance(deadline, int) or not 0 <= deadline <= 24 * 14:
        errors["cancellation_deadline_hours"] = [_("Give a number of hours between 0 and 336.")]
    return errors


def _validate_shift(values: dict[str, Any], *, organisation: Organisation, creating: bool) -> None:
    if errors := shift_field_errors(values, creating=creating):
        raise ValidationFailed(fields=errors)


def qualifications_of(organisation: Organisation, ids: Iterable[int]) -> list[Qualification]:
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
    min_age: int | None = None,
    allowance_category: str = "",
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
        "min_age": min_age,
        "allowance_category": allowance_category,
    }
    _validate_shift(values, organisation=organisation, creating=True)
    if publish:
        require_publishable(organisation)
    qualifications = qualifications_of(organisation, required_qualification_ids)
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
        publish_event("shift.created", shift)
    return shift


@transaction_retrying
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
    # confirmed count that no concurrent claim or cancellation can change under us. A raised
    # capacity promotes: the waitlisted volunteers' profiles come first in the lock order.
    locks.lock_waitlists([shift_id])
    shift = locks.lock_shift(shift_id)
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
        qualifications = qualifications_of(shift.organisation, required_qualification_ids)
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
    promoted = promote_waitlist(shift) if shift.status == ShiftStatus.PUBLISHED else []
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
        publish_event(
            "shift.changed",
            shift,
            user_ids=affected.values_list("volunteer_id", flat=True),
            time_changed=time_changed,
        )
        for claim in promoted:
            publish_event("claim.promoted", shift, claim, user_ids=[claim.volunteer_id])
    return shift


@transaction_retrying
def shift_publish(*, actor: User, shift_id: int) -> Shift:
    shift = locks.lock_shift(shift_id)
    require_manager(user=actor, organisation_id=shift.organisation_id)
    if shift.status == ShiftStatus.PUBLISHED:
        return shift
    if shift.status == ShiftStatus.CANCELLED:
        raise ShiftNotEditable()
    if shift.starts_at <= timezone.now():
        raise ShiftStarted()
    require_publishable(shift.organisation)
    shift.status = ShiftStatus.PUBLISHED
    shift.save(update_fields=["status", "updated_at"])
    publish_event("shift.created", shift)
    return shift


@transaction_retrying
def shift_cancel(*, actor: User, shift_id: int) -> Shift:
    """Cancel a shift: every active claim ends; volunteers are told through the event.

    A draft was never seen by volunteers and can hold no claims: cancelling it deletes it,
    so it never turns up as "cancelled" in calendars, boards or figures.
    """
    shift = locks.lock_shift(shift_id)
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
    close_stand_ins(claim_ids=[claim.pk for claim in active], now=now)
    close_swaps(claim_ids=[claim.pk for claim in active], now=now)
    if was_published:
        notification_records.record_shift_cancelled(claims=active, shift=shift, now=now)
        publish_event("shift.cancelled", shift, user_ids=affected)
    return shift

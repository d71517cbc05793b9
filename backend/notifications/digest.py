"""The weekly digest: new shifts that match a volunteer's profile, once a week, for the
volunteers who turned ``weekly_digest`` on.

When: on Monday from 09:00 in the volunteer's local time (``TIME_ZONE``: volunteers have no
time zone of their own), planned by the worker's periodic job (``digests_plan``); a worker
that was down plans it late, within the day (``WINDOW``). Never in quiet hours: the
worker sends a digest that falls in them at 08:00 (``schedule.quiet_hours_deferral``).

What: up to ``MAX_SHIFTS`` shifts, soonest first, published since the volunteer's last digest
(the first one: in the week before), of the organisations they volunteer for, still open
(published, not started, a seat or the waitlist free), in a mode they want, without a claim of
theirs, and which ``Eligibility`` would let them claim (qualifications held included). A
week without any sends nothing.

Durable, once a week: one row per volunteer and ISO week, key ``digest:<user>:<year>-W<week>``
(``ON CONFLICT DO NOTHING``: two workers write it once). A notification names one shift: the
digest's is its first (soonest) shift, which also gives the worker its organisation's quiet
hours and the push message's lifetime; every shift it lists is in ``payload["shift_ids"]``,
read again when it is sent (those closed since are left out, and a digest with none left is
dropped). When a shift was published comes from its ``shift_published`` row
(``records.record_shift_published``), which holds that moment.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Max, Q

from backend.accounts.models import VolunteerProfile
from backend.notifications.models import Kind, Notification
from backend.notifications.new_shifts import eligible_among, wants_mode
from backend.organisations.models import Membership, Role
from backend.shifts.models import ACTIVE_CLAIM_STATUSES, Claim, Shift, ShiftStatus

WEEKDAY = 0  # Monday
FROM = dt.time(9, 0)
# A digest not planned on Monday (every worker was down) is planned until this long after.
WINDOW = dt.timedelta(days=1)
MAX_SHIFTS = 10
# A volunteer's first digest lists what was published in the week before it.
FIRST_SINCE = dt.timedelta(days=7)
# Volunteers planned together (one ``Eligibility`` each time).
CHUNK = 500


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def week_of(now: dt.datetime) -> str:
    """The ISO week of ``now`` in the volunteer's local time, as in the key: "2026-W49"."""
    year, week, _day = now.astimezone(_zone()).isocalendar()
    return f"{year}-W{week:02d}"


def planning_open(now: dt.datetime) -> bool:
    """Whether ``now`` is in the week's planning window (Monday 09:00 for a day)."""
    local = now.astimezone(_zone())
    monday = local.date() - dt.timedelta(days=local.weekday() - WEEKDAY)
    opens = dt.datetime.combine(monday, FROM, tzinfo=_zone())
    return opens <= local < opens + WINDOW


def open_q() -> Q:
    """A shift still worth offering: a seat free or its waitlist open."""
    return Q(confirmed_count__lt=F("capacity")) | Q(waitlist_enabled=True)


def digests_plan(*, now: dt.datetime) -> int:
    """The periodic job: write this week's digest of every opted-in volunteer who has none
    yet and has something new; the number written."""
    if not planning_open(now):
        return 0
    week = week_of(now)
    volunteers = list(
        VolunteerProfile.objects.filter(
            weekly_digest=True,
            user__is_active=True,
            user__memberships__role=Role.VOLUNTEER,
        )
        .distinct()
        .order_by("user_id")
        .values_list("user_id", "mode_preference")
    )
    written = 0
    for start in range(0, len(volunteers), CHUNK):
        written += _plan_chunk(dict(volunteers[start : start + CHUNK]), week, now)
    return written


def _plan_chunk(modes: dict[int, str], week: str, now: dt.datetime) -> int:
    keys = {user_id: f"digest:{user_id}:{week}" for user_id in modes}
    done = set(Notification.objects.filter(key__in=keys.values()).values_list("user_id", flat=True))
    user_ids = sorted(set(modes) - done)
    if not user_ids:
        return 0
    last = dict(
        Notification.objects.filter(kind=Kind.DIGEST, user_id__in=user_ids)
        .values("user_id")
        .annotate(at=Max("created_at"))
        .values_list("user_id", "at")
    )
    since = {user_id: last.get(user_id) or now - FIRST_SINCE for user_id in user_ids}
    organisations: dict[int, set[int]] = {}
    for user_id, organisation_id in Membership.objects.filter(
        user_id__in=user_ids, role=Role.VOLUNTEER
    ).values_list("user_id", "organisation_id"):
        organisations.setdefault(user_id, set()).add(organisation_id)
    published = dict(
        Notification.objects.filter(
            kind=Kind.SHIFT_PUBLISHED,
            organisation_id__in={o for ids in organisations.values() for o in ids},
            created_at__gt=min(since.values()),
            shift__status=ShiftStatus.PUBLISHED,
            shift__starts_at__gt=now,
        ).values_list("shift_id", "created_at")
    )
    shifts = list(
        Shift.objects.filter(open_q(), pk__in=list(published))
        .select_related("organisation")
        .order_by("starts_at", "pk")
    )
    if not shifts:
        return 0
    claimed = set(
        Claim.objects.filter(
            volunteer_id__in=user_ids,
            shift_id__in=[s.pk for s in shifts],
            status__in=ACTIVE_CLAIM_STATUSES,
        ).values_list("volunteer_id", "shift_id")
    )
    eligible = eligible_among(user_ids, shifts)
    rows = []
    for user_id in user_ids:
        listed = [
            shift
            for shift in shifts
            if shift.organisation_id in organisations.get(user_id, ())
            and published[shift.pk] > since[user_id]
            and wants_mode(modes[user_id], shift.mode)
            and (user_id, shift.pk) not in claimed
            and (user_id, shift.pk) in eligible
        ][:MAX_SHIFTS]
        if not listed:
            continue
        first = listed[0]
        rows.append(
            Notification(
                key=keys[user_id],
                kind=Kind.DIGEST,
                organisation_id=first.organisation_id,
                user_id=user_id,
                shift_id=first.pk,
                shift_starts_at=first.starts_at,
                scheduled_for=now,
                due_at=now,
                created_at=now,
                payload={"shift_ids": [shift.pk for shift in listed]},
            )
        )
    return len(Notification.objects.bulk_create(rows, ignore_conflicts=True))


def listed_shifts(row: Notification, now: dt.datetime) -> list[Shift]:
    """The digest's shifts that are still open when it is sent, soonest first."""
    ids = [i for i in row.payload.get("shift_ids", []) if isinstance(i, int)]
    return list(
        Shift.objects.filter(open_q(), pk__in=ids, status=ShiftStatus.PUBLISHED, starts_at__gt=now)
        .select_related("organisation")
        .order_by("starts_at", "pk")
    )


def drop_reason(row: Notification, now: dt.datetime) -> str:
    """Why a digest is no longer sent ("" to send it); ``row.user`` has its profile."""
    if row.user is None or not row.user.profile.weekly_digest:
        return "the weekly digest is off"
    if not listed_shifts(row, now):
        return "nothing left to offer"
    return ""

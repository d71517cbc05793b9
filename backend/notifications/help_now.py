"""Help now: a shift that starts within ``HELP_NOW_WITHIN`` (3 hours) and is still short is
offered, once, to the volunteers who asked for such alerts and could claim it.

The rules, each judged when the worker's periodic job scans (``help_now_offer``, every
minute in each worker process) and again when the offer is sent (``drop_reason``):

- the shift is published, starts in more than 0 and at most 3 hours, has fewer confirmed
  volunteers than seats, and its claims are open;
- the volunteer is an active volunteer (role volunteer) of its organisation, turned
  ``help_now_alerts`` on, has no claim on it yet, and ``Eligibility`` would let them claim it;
- an online shift goes to volunteers who help online (or both); an on-site shift to those who
  help on site (or both) and live nearby: the first two digits of the Belgian postcode in
  their profile are those of the postcode in the shift's address ("Kerkstraat 1, 9000 Gent"
  is near 9000, 9040 and 9050, not 9100 or 8000). Without a postcode on either side nobody is
  near;
- once per shift per volunteer: the row's unique key is ``help_now:<shift>:<volunteer>``;
- at most ``INZET_HELP_NOW_PER_DAY`` (3) offers a day per volunteer, counted from these rows
  in the volunteer's local day (``TIME_ZONE``: volunteers have no time zone of their own);
  the soonest shifts are offered first;
- never in the quiet hours of the shift's organisation (22:00-08:00) unless the shift starts
  before they end: the scan offers nothing else then, and an offer that reaches the worker in
  quiet hours waits for 08:00 (``schedule.help_now_deferred``), when it is judged again.

Two workers scanning at once: the pairs to offer are found without locks, then the profiles
of those volunteers are locked (level 1 of the lock order) before their offers of today are
counted and the new rows written, so the second scan waits and counts the first one's rows;
their keys keep the same offer from being written twice in any case.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Q

from backend.notifications.models import Kind, Notification
from backend.notifications.new_shifts import eligible_among, wants_mode
from backend.notifications.records import to_user
from backend.notifications.schedule import help_now_deferred
from backend.organisations.models import Membership, Role
from backend.shifts.locks import lock_profiles, transaction_retrying
from backend.shifts.models import ACTIVE_CLAIM_STATUSES, Claim, Shift, ShiftMode, ShiftStatus

HELP_NOW_WITHIN = dt.timedelta(hours=3)

# A Belgian postcode: four digits, the first not 0 ("B-9000" and "9000" alike).
_POSTCODE = re.compile(r"(?<!\d)[1-9]\d{3}(?!\d)")


def postcode_area(text: str) -> str:
    """The first two digits of the last Belgian postcode in ``text`` ("" if it has none). In
    an address written the Belgian way the postcode comes after the house number
    ("Kerkstraat 1234, 9000 Gent" -> "90")."""
    found = _POSTCODE.findall(text)
    return found[-1][:2] if found else ""


def is_nearby(profile_postcode: str, shift_address: str) -> bool:
    area = postcode_area(profile_postcode)
    return bool(area) and area == postcode_area(shift_address)


def short_shifts(now: dt.datetime) -> list[Shift]:
    """Published shifts starting within ``HELP_NOW_WITHIN`` with a seat free and claims open,
    soonest first."""
    return list(
        Shift.objects.filter(
            Q(claims_open_at__isnull=True) | Q(claims_open_at__lte=now),
            status=ShiftStatus.PUBLISHED,
            starts_at__gt=now,
            starts_at__lte=now + HELP_NOW_WITHIN,
            confirmed_count__lt=F("capacity"),
        )
        .select_related("organisation")
        .order_by("starts_at", "pk")
    )


def day_start(now: dt.datetime) -> dt.datetime:
    """Midnight of the volunteer's local day (``TIME_ZONE``)."""
    local = now.astimezone(ZoneInfo(settings.TIME_ZONE))
    return dt.datetime.combine(local.date(), dt.time(0), tzinfo=local.tzinfo)


def help_now_offer(*, now: dt.datetime) -> int:
    """The periodic job: offer each short shift starting soon to the volunteers the rules
    pick; the number of offers written."""
    shifts = [
        shift
        for shift in short_shifts(now)
        if help_now_deferred(now, shift.starts_at, ZoneInfo(shift.organisation.time_zone)) is None
    ]
    if not shifts:
        return 0
    candidates: dict[int, list[tuple[int, str, str]]] = {}
    for organisation_id, user_id, mode, postcode in Membership.objects.filter(
        organisation_id__in={s.organisation_id for s in shifts},
        role=Role.VOLUNTEER,
        user__is_active=True,
        user__profile__help_now_alerts=True,
    ).values_list(
        "organisation_id", "user_id", "user__profile__mode_preference", "user__profile__postcode"
    ):
        candidates.setdefault(organisation_id, []).append((user_id, mode, postcode))
    claimed = set(
        Claim.objects.filter(
            shift_id__in=[s.pk for s in shifts], status__in=ACTIVE_CLAIM_STATUSES
        ).values_list("volunteer_id", "shift_id")
    )
    wanted = [
        (user_id, shift)
        for shift in shifts
        for user_id, mode, postcode in candidates.get(shift.organisation_id, ())
        if wants_mode(mode, shift.mode)
        and (shift.mode == ShiftMode.ONLINE or is_nearby(postcode, shift.address))
        and (user_id, shift.pk) not in claimed
    ]
    if not wanted:
        return 0
    eligible = eligible_among(sorted({user_id for user_id, _ in wanted}), shifts)
    pairs = [(user_id, shift) for user_id, shift in wanted if (user_id, shift.pk) in eligible]
    return _offers_write(pairs, now) if pairs else 0


@transaction_retrying
def _offers_write(pairs: list[tuple[int, Shift]], now: dt.datetime) -> int:
    """Under the volunteers' profile locks: leave out what was offered already and what
    would pass the day's cap, write the rest."""
    user_ids = sorted({user_id for user_id, _ in pairs})
    lock_profiles(user_ids)
    offered = set(
        Notification.objects.filter(
            kind=Kind.HELP_NOW, shift_id__in={shift.pk for _, shift in pairs}
        ).values_list("user_id", "shift_id")
    )
    today: Counter[int] = Counter(
        dict(
            Notification.objects.filter(
                kind=Kind.HELP_NOW, user_id__in=user_ids, created_at__gte=day_start(now)
            )
            .values("user_id")
            .annotate(n=Count("pk"))
            .values_list("user_id", "n")
        )
    )
    rows = []
    # ``pairs`` are in the order of the shifts' starts: the day's cap goes to the soonest.
    for user_id, shift in pairs:
        if (user_id, shift.pk) in offered or today[user_id] >= settings.INZET_HELP_NOW_PER_DAY:
            continue
        today[user_id] += 1
        rows.append(
            to_user(
                Kind.HELP_NOW,
                f"help_now:{shift.pk}:{user_id}",
                shift=shift,
                user_id=user_id,
                now=now,
            )
        )
    return len(Notification.objects.bulk_create(rows, ignore_conflicts=True))


def drop_reason(row: Notification, now: dt.datetime) -> str:
    """Why a help-now offer is no longer worth sending ("" to send it). ``row.user`` and
    ``row.shift`` are loaded (the worker selects them)."""
    shift, user = row.shift, row.user
    if shift.status != ShiftStatus.PUBLISHED:
        return "the shift is not open"
    if shift.starts_at <= now:
        return "the shift has started"
    if shift.confirmed_count >= shift.capacity:
        return "the shift is no longer short"
    if user is None or not user.profile.help_now_alerts:
        return "help-now alerts are off"
    if Claim.objects.filter(
        shift=shift, volunteer_id=user.pk, status__in=ACTIVE_CLAIM_STATUSES
    ).exists():
        return "already claimed"
    return ""

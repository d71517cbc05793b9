"""Volunteering while receiving a benefit (Belgium). Inzet helps and never decides: it explains
what the volunteer must do and, for unemployment benefit, counts the 12 working days in which
the RVA/ONEM may object to the volunteering declared on the C45B form.

Only the kind of benefit and the day the C45B was handed in are stored, never medical or
other details. Working days are counted as the unemployment rules do, in a six-day week:
Monday to Saturday, without Sundays and the ten Belgian public holidays.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import Benefit, User, VolunteerProfile
from backend.core.errors import ValidationFailed

OBJECTION_WORKING_DAYS = 12


def _easter(year: int) -> dt.date:
    """Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month = (h + ell - 7 * m + 114) // 31
    day = (h + ell - 7 * m + 114) % 31 + 1
    return dt.date(year, month, day)


@cache
def public_holidays(year: int) -> frozenset[dt.date]:
    """The ten legal public holidays of Belgium."""
    easter = _easter(year)
    return frozenset(
        {
            dt.date(year, 1, 1),
            easter + dt.timedelta(days=1),  # Easter Monday
            dt.date(year, 5, 1),
            easter + dt.timedelta(days=39),  # Ascension
            easter + dt.timedelta(days=50),  # Whit Monday
            dt.date(year, 7, 21),
            dt.date(year, 8, 15),
            dt.date(year, 11, 1),
            dt.date(year, 11, 11),
            dt.date(year, 12, 25),
        }
    )


def is_working_day(day: dt.date) -> bool:
    return day.weekday() != 6 and day not in public_holidays(day.year)


def objection_ends_on(handed_in_on: dt.date) -> dt.date:
    """The last of the 12 working days after the C45B was handed in."""
    day, counted = handed_in_on, 0
    while counted < OBJECTION_WORKING_DAYS:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def objection_running(handed_in_on: dt.date | None, today: dt.date | None = None) -> bool:
    if handed_in_on is None:
        return False
    return (today or timezone.localdate()) <= objection_ends_on(handed_in_on)


def benefit_advice(benefit: str) -> str:
    """What a volunteer receiving ``benefit`` should do, in the active language ("" if
    nothing)."""
    if benefit == Benefit.UNEMPLOYMENT:
        return _(
            "With unemployment benefit you may volunteer once you have declared it to the "
            "RVA with form C45B (through your payment body: trade union or HVW/CAPAC). The "
            "RVA may object within 12 working days. Tell us the day you handed the form in, "
            "so your organisation knows when that period ends."
        )
    if benefit == Benefit.INTEGRATION_INCOME:
        return _(
            "With an integration income (leefloon) you may volunteer. Tell your case worker "
            "at the OCMW/CPAS before you start."
        )
    if benefit == Benefit.SICKNESS:
        return _(
            "With sickness or invalidity benefit you may volunteer once the medical adviser "
            "of your health insurance fund agrees. Ask them before you start."
        )
    return ""


class _Keep:
    """What ``benefit_change`` leaves as it is (a field the request did not name)."""


KEEP = _Keep()


def benefit_change(
    *, user: User, benefit: str | _Keep = KEEP, c45b_handed_in_on: dt.date | _Keep | None = KEEP
) -> VolunteerProfile:
    """Change what the request names: a new benefit keeps the C45B day only while it stays
    unemployment benefit; a new day needs unemployment benefit (``benefit_set``)."""
    profile = VolunteerProfile.objects.get(user=user)
    new_benefit = profile.benefit if isinstance(benefit, _Keep) else benefit
    if isinstance(c45b_handed_in_on, _Keep):
        day = profile.c45b_handed_in_on if new_benefit == Benefit.UNEMPLOYMENT else None
    else:
        day = c45b_handed_in_on
    return benefit_set(user=user, benefit=new_benefit, c45b_handed_in_on=day)


def benefit_set(
    *, user: User, benefit: str, c45b_handed_in_on: dt.date | None = None
) -> VolunteerProfile:
    """Record the benefit a volunteer says they receive (and, for unemployment benefit, the
    day the C45B was handed in; other benefits keep no date)."""
    if benefit not in Benefit.values:
        raise ValidationFailed(fields={"benefit": [_("Choose one of the benefits offered.")]})
    if c45b_handed_in_on is not None:
        if benefit != Benefit.UNEMPLOYMENT:
            raise ValidationFailed(
                fields={"c45b_handed_in_on": [_("Only for unemployment benefit.")]}
            )
        if c45b_handed_in_on > timezone.localdate():
            raise ValidationFailed(fields={"c45b_handed_in_on": [_("That day is still to come.")]})
    profile = VolunteerProfile.objects.get(user=user)
    profile.benefit = benefit
    profile.c45b_handed_in_on = c45b_handed_in_on if benefit == Benefit.UNEMPLOYMENT else None
    profile.save(update_fields=["benefit", "c45b_handed_in_on"])
    return profile

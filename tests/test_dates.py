"""Days in each language's own way."""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from backend.core.dates import day_text


def test_the_first_of_the_month_is_an_ordinal_in_french_only() -> None:
    with translation.override("fr"):
        assert day_text(dt.date(2026, 12, 1)) == "mardi 1er décembre"
        assert day_text(dt.date(2026, 12, 11)) == "vendredi 11 décembre"
        assert day_text(dt.date(2026, 12, 21), weekday=False) == "21 décembre"
    with translation.override("nl"):
        assert day_text(dt.date(2026, 12, 1)) == "dinsdag 1 december"
    with translation.override("en"):
        assert day_text(dt.date(2026, 12, 1)) == "Tuesday 1 December"


def test_short_dates_get_the_ordinal_too() -> None:
    from backend.core.dates import date_text

    with translation.override("fr"):
        assert date_text(dt.datetime(2026, 12, 1, 14, 0), "D j M H:i") == "mar 1er déc 14:00"
        assert date_text(dt.date(2026, 12, 1), "j M") == "1er déc"
    with translation.override("nl"):
        assert date_text(dt.datetime(2026, 12, 1, 14, 0), "D j M H:i") == "di 1 dec 14:00"

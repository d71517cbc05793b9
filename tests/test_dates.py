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

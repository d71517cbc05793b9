"""Days written the way each language writes them, in the active language."""

from __future__ import annotations

import datetime as dt

from django.utils import formats, translation


def day_text(day: dt.date, *, weekday: bool = True) -> str:
    """ "vrijdag 4 december", "Friday 4 December", "vendredi 1er décembre": French writes the
    first of the month as an ordinal, which Django's date format cannot say."""
    text = formats.date_format(day, "l j F" if weekday else "j F")
    if day.day == 1 and (translation.get_language() or "").startswith("fr"):
        head, _one, tail = text.rpartition("1 ")
        text = f"{head}1er {tail}"
    return text

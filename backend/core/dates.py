"""Days written the way each language writes them, in the active language."""

from __future__ import annotations

import datetime as dt

from django.utils import formats, translation


def day_text(day: dt.date, *, weekday: bool = True) -> str:
    """ "vrijdag 4 december", "Friday 4 December", "vendredi 1er décembre"."""
    return date_text(day, "l j F" if weekday else "j F")


def date_text(moment: dt.date, format: str) -> str:
    """``moment`` in Django's date ``format`` (its ``j`` the day of the month), in the active
    language. Dutch and French write month names in lower case ("1 dec"), where Django's
    ``M`` capitalises them; French writes the first of the month as an ordinal ("1er"),
    which Django's formats cannot say."""
    language = translation.get_language() or ""
    if not language.startswith("en"):
        format = format.replace("M", "b")  # the same abbreviation, not capitalised
    text = formats.date_format(moment, format)
    if moment.day == 1 and language.startswith("fr"):
        if text.startswith("1 "):
            return "1er " + text[2:]
        text = text.replace(" 1 ", " 1er ", 1)
    return text

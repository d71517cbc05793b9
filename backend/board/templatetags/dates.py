"""Dates in the board's pages as the language writes them, like the bot and the worker's
messages (``backend.core.dates``): ``{{ shift.starts_at|date_text:"l j F Y" }}`` where
Django's ``date`` filter would write the French first of the month "1" (not "1er") and
capitalise Dutch and French month abbreviations. It takes a format string, not a format's
name (``DATE_FORMAT``)."""

from __future__ import annotations

import datetime as dt

from django import template

from backend.core import dates

register = template.Library()


# Like Django's ``date``: an aware datetime arrives in the current time zone (``{% timezone %}``).
@register.filter(expects_localtime=True, is_safe=False)
def date_text(value: dt.date | None, format: str) -> str:
    if not isinstance(value, dt.date):
        return ""
    return dates.date_text(value, format)

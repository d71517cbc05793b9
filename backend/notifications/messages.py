"""The texts the worker sends, in the volunteer's language (nl by default, en, fr)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backend.core.dates import date_text


def _when(start: dt.datetime, end: dt.datetime, zone: ZoneInfo) -> str:
    start, end = start.astimezone(zone), end.astimezone(zone)
    dash = "\N{EN DASH}"
    return f"{date_text(start, 'D j M H:i')}{dash}{formats.time_format(end, 'H:i')}"


def render(
    kind: str,
    *,
    language: str,
    title: str,
    organisation: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    zone: ZoneInfo,
    place: str = "",
    volunteer: str = "",
    old_starts_at: dt.datetime | None = None,
    old_ends_at: dt.datetime | None = None,
    text: str = "",
    reason: str = "",
    amounts: dict[str, str] | None = None,
    other: str = "",
) -> str:
    with translation.override(language):
        when = _when(starts_at, ends_at, zone)
        values = {"title": title, "organisation": organisation, "when": when, "place": place}
        if kind == "reminder":
            message = _("Reminder: %(title)s (%(organisation)s), %(when)s.") % values
            if place:
                message += "\n" + _("Where: %(place)s") % values
            return message + "\n" + _("Are you coming?")
        if kind == "follow_up":
            return (
                _(
                    "Thank you for helping at %(title)s (%(organisation)s)! How did it go? "
                    "Give a score from 1 (bad) to 5 (great)."
                )
                % values
            )
        if kind == "promoted":
            message = (
                _(
                    "Good news: a seat came free. You are confirmed for %(title)s "
                    "(%(organisation)s), %(when)s."
                )
                % values
            )
            if place:
                message += "\n" + _("Where: %(place)s") % values
            return message
        if kind == "shift_changed":
            old = (
                _when(old_starts_at, old_ends_at, zone)
                if old_starts_at is not None and old_ends_at is not None
                else ""
            )
            return _(
                "The time of %(title)s (%(organisation)s) changed: it is now %(when)s "
                "(was %(old)s). Your place is kept; cancel with /my if it no longer suits you."
            ) % (values | {"old": old})
        if kind == "shift_cancelled":
            return (
                _(
                    "%(title)s (%(organisation)s) on %(when)s is cancelled. Thank you for "
                    "signing up; see /shifts for other shifts."
                )
                % values
            )
        if kind == "allowance_warning":
            return _(
                "Your volunteer allowances of %(year)s come to %(total)s euro: over 80 %% of "
                "the legal yearly cap of %(cap)s euro, counted over every organisation. Send "
                "/allowance to see what remains."
            ) % (amounts or {})
        if kind == "allowance_notice":
            return _(
                "%(volunteer)s has received %(total)s euro of volunteer allowances in "
                "%(year)s: over 80 %% of the legal yearly cap of %(cap)s euro."
            ) % ((amounts or {}) | {"volunteer": volunteer or _("a volunteer")})
        if kind == "late_cancel_notice":
            return _(
                "Late cancellation: %(volunteer)s cancelled %(title)s, %(when)s, after the "
                "cancellation deadline."
            ) % (values | {"volunteer": volunteer or _("a volunteer")})
        if kind == "claim_cancelled":
            message = (
                _("A coordinator of %(organisation)s cancelled your place on %(title)s, %(when)s.")
                % values
            )
            if reason:
                message += "\n" + _("Reason: %(reason)s") % {"reason": reason}
            return message + "\n" + _("See /shifts for other shifts.")
        if kind == "stand_in_ask":
            return (
                _(
                    "A volunteer cannot come to %(title)s (%(organisation)s), %(when)s. Can "
                    "you take over their place?"
                )
                % values
            )
        if kind == "stand_in_found":
            return _(
                "%(volunteer)s takes over your place on %(title)s (%(organisation)s), %(when)s. "
                "Thank you for finding a stand-in."
            ) % (values | {"volunteer": volunteer or _("a volunteer")})
        if kind == "stand_in_unfilled":
            return _(
                "%(volunteer)s asked for a stand-in for %(title)s, %(when)s, and nobody has "
                "taken over yet. They keep their place until someone does."
            ) % (values | {"volunteer": volunteer or _("a volunteer")})
        if kind == "swap_ask":
            return _(
                "%(volunteer)s proposes a swap: you take %(title)s (%(organisation)s), "
                "%(when)s, and they take your %(other)s."
            ) % (values | {"volunteer": volunteer or _("a volunteer"), "other": other})
        if kind == "swap_done":
            message = _(
                "%(volunteer)s accepted your swap: you now have %(title)s (%(organisation)s), "
                "%(when)s."
            ) % (values | {"volunteer": volunteer or _("a volunteer")})
            if place:
                message += "\n" + _("Where: %(place)s") % values
            return message
        if kind == "broadcast":
            return (
                _("Message from %(organisation)s about %(title)s, %(when)s:") % values
                + f"\n\n{text}"
            )
        raise ValueError(f"no text for {kind}")


def coming_button(language: str) -> str:
    with translation.override(language):
        return _("I'm coming")


def cannot_come_button(language: str) -> str:
    with translation.override(language):
        return _("I can't make it")


def claim_button(language: str) -> str:
    with translation.override(language):
        return _("Claim")


def accept_stand_in_button(language: str) -> str:
    with translation.override(language):
        return _("I'll take over")


def swap_button(language: str) -> str:
    with translation.override(language):
        return _("Swap")


def no_thanks_button(language: str) -> str:
    with translation.override(language):
        return _("No thanks")


def shift_when(start: dt.datetime, end: dt.datetime, zone: ZoneInfo, language: str) -> str:
    """A shift's day and times in ``language`` (as the messages write them)."""
    with translation.override(language):
        return _when(start, end, zone)


class Listed(NamedTuple):
    """A shift as an offer names it: the town for an on-site shift ("" when the address has
    none), never the street (that is for confirmed volunteers), or that it is online."""

    title: str
    organisation: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    zone: ZoneInfo
    online: bool
    town: str


def _line(shift: Listed) -> str:
    where = _("online") if shift.online else shift.town
    when = _when(shift.starts_at, shift.ends_at, shift.zone)
    line = f"{shift.title} ({shift.organisation}), {when}"
    return f"{line}, {where}" if where else line


def help_now_text(language: str, shift: Listed, *, seats: int) -> str:
    """A shift starting soon that is still short, offered to a volunteer who asked for it."""
    with translation.override(language):
        return (
            _("Help needed soon: %(shift)s.") % {"shift": _line(shift)}
            + "\n"
            + ngettext(
                "%(count)d seat is still free. Can you come?",
                "%(count)d seats are still free. Can you come?",
                seats,
            )
            % {"count": seats}
        )


def digest_text(language: str, shifts: list[Listed]) -> str:
    """The weekly digest: the new shifts that match the volunteer, numbered like their
    Claim buttons."""
    with translation.override(language):
        lines = [f"{n}. {_line(shift)}" for n, shift in enumerate(shifts, start=1)]
        return "\n".join(
            [
                _("New shifts for you this week:"),
                *lines,
                _("Claim one with its button, or see /shifts for every open shift."),
            ]
        )


def claim_numbered_button(language: str, number: int) -> str:
    with translation.override(language):
        return _("Claim %(number)d") % {"number": number}

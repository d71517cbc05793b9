"""The worker's door to the offers a volunteer opted in to: "help now" (``help_now.py``) and
the weekly digest (``digest.py``). The worker asks here whether such a row is still worth
sending and what it says; its periodic tick plans new ones (``offers_plan``)."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from backend.notifications import digest, help_now, messages
from backend.notifications.models import Kind, Notification
from backend.shifts.models import Shift, ShiftMode
from backend.shifts.selectors import town_of
from backend.telegram.callbacks import encode
from backend.telegram.client import Button

logger = logging.getLogger(__name__)

OFFER_KINDS = (Kind.HELP_NOW, Kind.DIGEST)


def offers_plan(*, now: dt.datetime) -> None:
    """The worker's periodic job (each process, every minute; safe in several at once): the
    help-now offers due now and, on Monday, the week's digests."""
    offered = help_now.help_now_offer(now=now)
    planned = digest.digests_plan(now=now)
    if offered or planned:
        logger.info("worker: %d help-now offers, %d weekly digests", offered, planned)


def drop_reason(row: Notification, now: dt.datetime) -> str:
    """Why an offer is no longer sent ("" to send it)."""
    if row.kind == Kind.HELP_NOW:
        return help_now.drop_reason(row, now)
    return digest.drop_reason(row, now)


def _listed(shift: Shift) -> messages.Listed:
    return messages.Listed(
        title=shift.title,
        organisation=shift.organisation.name,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        zone=ZoneInfo(shift.organisation.time_zone),
        online=shift.mode == ShiftMode.ONLINE,
        town=town_of(shift.address),
    )


def offer_message(row: Notification, now: dt.datetime) -> tuple[str, list[list[Button]]]:
    """The text and Claim buttons of an offer, in the volunteer's language. The buttons are
    the bot's own ``claim:<shift>``, so pressing one runs the bot's claim flow."""
    assert row.user is not None  # offers are always to someone
    language = row.user.profile.language
    if row.kind == Kind.HELP_NOW:
        shift = row.shift
        text = messages.help_now_text(language, _listed(shift), seats=shift.seats_left)
        return text, [[Button(messages.claim_button(language), encode("claim", shift.pk))]]
    shifts = digest.listed_shifts(row, now)
    text = messages.digest_text(language, [_listed(shift) for shift in shifts])
    buttons = [
        [Button(messages.claim_numbered_button(language, n), encode("claim", shift.pk))]
        for n, shift in enumerate(shifts, start=1)
    ]
    return text, buttons

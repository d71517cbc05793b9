"""The landing page at ``/``: what Inzet is, for a visitor; for someone logged in, their boards,
their upcoming shifts (with where to go) and how to reach the Telegram bot.

A volunteer has no board, and gets this page rather than a bare 403: the shifts they claimed,
and a code to link their account to the bot if it is not linked yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from backend.accounts.models import User, VolunteerProfile
from backend.organisations.models import Organisation
from backend.organisations.selectors import managed_organisation_ids
from backend.shifts.models import ACTIVE_CLAIM_STATUSES, Claim, ClaimStatus, ShiftMode
from backend.shifts.selectors import waitlist_positions, where_to_go
from backend.telegram.models import LinkCode
from backend.telegram.services import link_code_create

# More than anyone may hold (INZET_MAX_UPCOMING_CLAIMS), so in practice all of them.
UPCOMING_SHOWN = 50


@dataclass(frozen=True)
class UpcomingShift:
    title: str
    organisation: str
    time_zone: str  # the organisation's: the template shows the times in it
    starts: dt.datetime
    ends: dt.datetime
    online: bool
    confirmed: bool
    waitlist_position: int | None
    address: str | None
    meeting_link: str | None


def _upcoming_shifts(user: User, managed: set[int], now: dt.datetime) -> list[UpcomingShift]:
    """The user's confirmed and waitlisted claims on shifts that have not ended, soonest
    first, in two queries (the second only when one is waitlisted)."""
    claims = list(
        Claim.objects.filter(
            volunteer=user, status__in=ACTIVE_CLAIM_STATUSES, shift__ends_at__gt=now
        )
        .select_related("shift__organisation")
        .order_by("shift__starts_at", "id")[:UPCOMING_SHOWN]
    )
    positions = waitlist_positions(
        shift_ids=[c.shift_id for c in claims if c.status == ClaimStatus.WAITLISTED]
    )
    rows = []
    for claim in claims:
        shift = claim.shift
        place = where_to_go(
            shift, claim_status=claim.status, manages=shift.organisation_id in managed
        )
        rows.append(
            UpcomingShift(
                title=shift.title,
                organisation=shift.organisation.name,
                time_zone=shift.organisation.time_zone,
                starts=shift.starts_at,
                ends=shift.ends_at,
                online=shift.mode == ShiftMode.ONLINE,
                confirmed=claim.status == ClaimStatus.CONFIRMED,
                waitlist_position=positions.get(claim.pk),
                address=place.address,
                meeting_link=place.meeting_link,
            )
        )
    return rows


def _telegram(user: User, now: dt.datetime) -> dict[str, Any]:
    """The person's name, whether their account is linked to a Telegram chat, and the link
    code that still works (asked for on this page), in one or two queries."""
    profile = VolunteerProfile.objects.filter(user=user).first()
    linked = profile is not None and profile.telegram_chat_id is not None
    code = None
    if not linked:
        code = (
            LinkCode.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
    return {
        "display_name": profile.display_name if profile is not None else "",
        "linked": linked,
        "link_code": code,
    }


def home(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"bot_username": settings.TELEGRAM_BOT_USERNAME}
    if request.user.is_authenticated:
        user: User = request.user
        now = timezone.now()
        boards = list(
            Organisation.objects.filter(pk__in=managed_organisation_ids(user=user)).order_by("name")
        )
        context |= {
            "boards": boards,
            "upcoming": _upcoming_shifts(user, {o.pk for o in boards}, now),
            **_telegram(user, now),
        }
    return render(request, "board/home/home.html", context)


@login_required
@require_POST
def telegram_link_code(request: HttpRequest) -> HttpResponse:
    """A fresh code to send to the bot (``/link CODE``); the landing page then shows it."""
    link_code_create(user=request.user)  # type: ignore[arg-type]
    return redirect(f"{reverse('home')}#telegram")


urlpatterns = [
    path("", home, name="home"),
    path("accounts/telegram-code/", telegram_link_code, name="telegram_link_code"),
]

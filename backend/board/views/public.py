"""An organisation's public page, ``/o/<slug>/``: no log-in, its public description and its
upcoming public shifts (title, day, time, the town or "online", seats left; never an address,
a meeting link or a name), and a "Join via Telegram" button with a QR code of its public
invite. An organisation's admins switch it on (``Organisation.public_page_enabled``).

The page is rendered once per language and kept in the shared cache under a key that moves on
whenever what it shows changes (``backend/organisations/public_page.py``): a busy page costs
the database nothing per view. It holds nothing of the reader (no CSRF token, no session), so
one rendering serves everyone. The language comes from ``?lang=``, else the browser's.
"""

from __future__ import annotations

import contextlib
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from backend.board.views.invites import qr_svg
from backend.core.dates import day_text
from backend.core.rate_limits import SHARED_CACHE_ERRORS
from backend.organisations.models import InviteCode, Organisation
from backend.organisations.public_page import TTL_SECONDS, page_key
from backend.shifts.selectors import public_shifts
from backend.telegram.services import deep_link

logger = logging.getLogger(__name__)

LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


def _language(request: HttpRequest) -> str:
    asked = request.GET.get("lang", "")
    if asked in LANGUAGES:
        return asked
    found = translation.get_language_from_request(request)
    return found if found in LANGUAGES else settings.LANGUAGE_CODE


def _organisation_id(slug: str) -> int | None:
    """The organisation's id by its slug (kept in the cache: slugs do not change)."""
    key = f"public-page:slug:{slug}"
    try:
        found = cache.get(key)
    except SHARED_CACHE_ERRORS:
        found = None
    if found is not None:
        return int(found) or None
    organisation_id = (
        Organisation.objects.filter(slug=slug).values_list("pk", flat=True).first() or 0
    )
    with contextlib.suppress(*SHARED_CACHE_ERRORS):
        cache.set(key, organisation_id, timeout=TTL_SECONDS)
    return organisation_id or None


def _render(organisation_id: int, language: str) -> tuple[int, str]:
    organisation = (
        Organisation.objects.filter(pk=organisation_id, public_page_enabled=True)
        .select_related("public_invite")
        .first()
    )
    with translation.override(language):
        if organisation is None:
            return 404, render_to_string("board/public/missing.html", {"language": language})
        invite: InviteCode | None = organisation.public_invite
        usable = invite is not None and not invite.revoked and invite.expires_at is None
        link = deep_link(invite.code) if usable and invite is not None else None
        shifts, more = public_shifts(organisation_id=organisation.pk, now=timezone.now())
        zone = ZoneInfo(organisation.time_zone)
        context = {
            "organisation": organisation,
            "shifts": [
                {"shift": shift, "day": day_text(shift.starts_at.astimezone(zone).date())}
                for shift in shifts
            ],
            "more": more,
            "language": language,
            "languages": [
                (code, translation.get_language_info(code)["name_local"]) for code in LANGUAGES
            ],
            "link": link,
            "code": invite.code if usable and invite is not None else "",
            "qr": qr_svg(
                link, label=_("QR code: join %(name)s on Telegram") % {"name": organisation.name}
            )
            if link
            else None,
            "zone": organisation.time_zone,
        }
        return 200, render_to_string("board/public/page.html", context)


@require_GET
def public_page(request: HttpRequest, slug: str) -> HttpResponse:
    language = _language(request)
    organisation_id = _organisation_id(slug)
    if organisation_id is None:
        with translation.override(language):
            missing = render_to_string("board/public/missing.html", {"language": language})
        return HttpResponse(missing, status=404)
    key = page_key(organisation_id, language)
    cached = None
    if key is not None:
        try:
            cached = cache.get(key)
        except SHARED_CACHE_ERRORS as error:
            logger.warning("public page unreadable from the cache: %s", error)
    if cached is None:
        cached = _render(organisation_id, language)
        if key is not None:
            try:
                cache.set(key, cached, timeout=TTL_SECONDS)
            except SHARED_CACHE_ERRORS as error:
                logger.warning("public page not kept in the cache: %s", error)
    status, body = cached
    response = HttpResponse(body, status=status)
    response["Content-Language"] = language
    response["Cache-Control"] = f"public, max-age={min(TTL_SECONDS, 60)}"
    response["Vary"] = "Accept-Language"
    return response


urlpatterns = [path("o/<slug:slug>/", public_page, name="public_page")]

"""Cockpit area: invites. Invite codes with their Telegram deep link and QR code, and a poster
to print for a notice board.

A code joins through the bot: ``https://t.me/<bot>?start=<code>`` opens the bot's /start with
the code (``bots/handlers/signup.py``). The QR code is made on the server with segno, as an
inline SVG with an accessible name; without ``TELEGRAM_BOT_USERNAME`` there is no link to put
in it, and the pages say so and show the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backend.accounts.models import User
from backend.board.forms import show_domain_error
from backend.board.forms.invites import InviteForm, PosterLanguageForm
from backend.board.views.access import cockpit_view, render_cockpit
from backend.core.errors import DomainError, NotFound
from backend.organisations.models import InviteCode, Organisation, Role
from backend.organisations.selectors import invite_of, invites_of
from backend.organisations.services import invite_create, invite_revoke
from backend.telegram.services import deep_link


def qr_svg(data: str, *, label: str) -> SafeString:
    """``data`` as a QR code: an inline SVG (sized by CSS) named ``label`` for screen readers."""
    qr = segno.make(data, error="m")
    svg = qr.svg_inline(
        scale=1, border=4, omitsize=True, title=label, svgclass="qr", lineclass=None, light="#fff"
    )
    # segno escapes the title; role="img" makes it the image's accessible name.
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))


@dataclass
class InviteRow:
    invite: InviteCode
    link: str | None
    qr: SafeString | None
    may_revoke: bool


def _row(invite: InviteCode, organisation: Organisation, *, is_admin: bool) -> InviteRow:
    link = deep_link(invite.code)
    return InviteRow(
        invite=invite,
        link=link,
        qr=qr_svg(link, label=_qr_label(invite, organisation)) if link else None,
        # Admin invites are the admins' (the service refuses others; no button for them).
        may_revoke=is_admin or invite.role != Role.ADMIN,
    )


def _qr_label(invite: InviteCode, organisation: Organisation) -> str:
    return _("QR code: join %(organisation)s as %(role)s (code %(code)s)") % {
        "organisation": organisation.name,
        "role": Role(invite.role).label,
        "code": invite.code,
    }


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@require_http_methods(["GET", "POST"])
@cockpit_view()
def invites_page(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """The codes that work (QR, link, poster, revoke), the ones that ended, and a form for a
    new one."""
    is_admin: bool = getattr(request, "cockpit_admin", False)
    form = InviteForm(request.POST or None, offer_admin=is_admin)
    if request.method == "POST" and form.is_valid():
        try:
            invite = invite_create(
                actor=_actor(request),
                organisation=organisation,
                role=form.cleaned_data["role"],
                valid_for=form.valid_for(),
                max_uses=form.cleaned_data["max_uses"],
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(
                request,
                _("New invite code %(code)s for %(role)s.")
                % {"code": invite.code, "role": Role(invite.role).label},
            )
            url = reverse("board:invites", args=[organisation.slug])
            return HttpResponseRedirect(f"{url}#invite-{invite.pk}")
    usable, ended = invites_of(organisation=organisation, now=timezone.now())
    context: dict[str, Any] = {
        "form": form,
        "invites": [_row(invite, organisation, is_admin=is_admin) for invite in usable],
        "ended": ended,
        "bot_username": settings.TELEGRAM_BOT_USERNAME,
    }
    status = 400 if request.method == "POST" else 200
    return render_cockpit(
        request, organisation, "board/invites/list.html", context, section="invites", status=status
    )


@require_POST
@cockpit_view()
def invite_revoke_view(
    request: HttpRequest, organisation: Organisation, invite_id: int
) -> HttpResponse:
    """Stop a code from working (people who joined with it stay members)."""
    try:
        invite = invite_revoke(
            actor=_actor(request), organisation=organisation, invite_id=invite_id
        )
    except NotFound:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, str(error.detail))
    else:
        messages.success(
            request, _("Invite code %(code)s no longer works.") % {"code": invite.code}
        )
    return HttpResponseRedirect(reverse("board:invites", args=[organisation.slug]))


@require_GET
@cockpit_view()
def invite_poster(request: HttpRequest, organisation: Organisation, invite_id: int) -> HttpResponse:
    """An A4 poster for a notice board: a title, the QR code, three short steps, in the
    language chosen on the page (the cockpit's language at first)."""
    invite = invite_of(organisation=organisation, invite_id=invite_id, now=timezone.now())
    if invite is None:
        raise Http404
    current = translation.get_language() or settings.LANGUAGE_CODE
    language = PosterLanguageForm(request.GET if "lang" in request.GET else {"lang": current})
    poster_language = language.cleaned_data["lang"] if language.is_valid() else current
    link = deep_link(invite.code)
    with translation.override(poster_language):
        qr = qr_svg(link, label=_qr_label(invite, organisation)) if link else None
    context: dict[str, Any] = {
        "invite": invite,
        "link": link,
        "qr": qr,
        "usable": invite.usable,  # type: ignore[attr-defined]
        "language_form": language,
        "poster_language": poster_language,
        "bot_username": settings.TELEGRAM_BOT_USERNAME,
    }
    return render_cockpit(
        request, organisation, "board/invites/poster.html", context, section="invites"
    )


urlpatterns = [
    path("<slug:slug>/invites/", invites_page, name="invites"),
    path("<slug:slug>/invites/<int:invite_id>/revoke/", invite_revoke_view, name="invite_revoke"),
    path("<slug:slug>/invites/<int:invite_id>/poster/", invite_poster, name="invite_poster"),
]

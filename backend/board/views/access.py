"""Who may open a cockpit page: one decorator around the organisations' access helper.

``cockpit_view`` resolves ``<slug>`` to the organisation, asks ``may_manage`` (or
``may_administer`` with ``admin=True``) exactly as the API and the board's websocket do, and
hands the organisation to the view. Someone who may not manage it gets the styled 403 page; an
unknown slug the styled 404 page; nobody learns another organisation's data.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.defaults import permission_denied

from backend.accounts.models import User
from backend.organisations.models import Organisation
from backend.organisations.selectors import admin_names, may_administer, may_manage

logger = logging.getLogger(__name__)

P = ParamSpec("P")
CockpitView = Callable[Concatenate[HttpRequest, Organisation, P], HttpResponse]


def cockpit_view(
    *, admin: bool = False
) -> Callable[[CockpitView[P]], Callable[Concatenate[HttpRequest, str, P], HttpResponse]]:
    """Wraps ``view(request, organisation, ...)`` as a view taking ``slug``."""

    def decorate(
        view: CockpitView[P],
    ) -> Callable[Concatenate[HttpRequest, str, P], HttpResponse]:
        @login_required
        @functools.wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: P.args, **kwargs: P.kwargs) -> Any:
            organisation = get_object_or_404(Organisation, slug=slug)
            user: User = request.user  # type: ignore[assignment]
            allowed = may_administer if admin else may_manage
            if not allowed(user=user, organisation_id=organisation.pk):
                return _refused(request, user, organisation, admin=admin)
            request.cockpit_admin = admin or may_administer(  # type: ignore[attr-defined]
                user=user, organisation_id=organisation.pk
            )
            return view(request, organisation, *args, **kwargs)

        return wrapper

    return decorate


def _refused(
    request: HttpRequest, user: User, organisation: Organisation, *, admin: bool
) -> HttpResponse:
    """The styled 403 page, saying why: a coordinator on an admins' page is told who the admins
    are. Answered here rather than raised, so the log gets one line, not a traceback."""
    reason = ""
    if admin and may_manage(user=user, organisation_id=organisation.pk):
        names = ", ".join(admin_names(organisation=organisation))
        reason = _(
            "Only the admins of %(organisation)s can open this page. Its admins: %(names)s."
        ) % {"organisation": organisation.name, "names": names or "—"}
    logger.info(
        "cockpit page refused (%s): %s", "admins only" if reason else "no access", request.path
    )
    return permission_denied(request, PermissionDenied(reason))


def render_cockpit(
    request: HttpRequest,
    organisation: Organisation,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    section: str,
    status: int = 200,
) -> HttpResponse:
    """Renders a cockpit page: ``template`` extends ``board/cockpit.html``, which shows the
    organisation's navigation with ``section`` (board, people, invites, follow_ups, figures,
    info_note, allowances, settings, planning) marked as the current page."""
    from django.shortcuts import render

    return render(
        request,
        template,
        {
            "organisation": organisation,
            "section": section,
            "is_admin": getattr(request, "cockpit_admin", False),
            **(context or {}),
        },
        status=status,
    )

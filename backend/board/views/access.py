"""Who may open a cockpit page: one decorator around the organisations' access helper.

``cockpit_view`` resolves ``<slug>`` to the organisation, asks ``may_manage`` (or
``may_administer`` with ``admin=True``) exactly as the API and the board's websocket do, and
hands the organisation to the view. Someone who may not manage it gets the styled 403 page; an
unknown slug the styled 404 page; nobody learns another organisation's data.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from backend.accounts.models import User
from backend.organisations.models import Organisation
from backend.organisations.selectors import may_administer, may_manage

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
                raise PermissionDenied
            request.cockpit_admin = admin or may_administer(  # type: ignore[attr-defined]
                user=user, organisation_id=organisation.pk
            )
            return view(request, organisation, *args, **kwargs)

        return wrapper

    return decorate


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
    settings, planning) marked as the current page."""
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

"""The board index and the live board page: a server-rendered shell that board.js keeps live."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backend.accounts.models import User
from backend.board.views.access import cockpit_view, render_cockpit
from backend.organisations.models import Organisation
from backend.organisations.selectors import managed_organisation_ids


def _strings() -> dict[str, str]:
    """Texts board.js shows, translated on the server (no JavaScript catalogue needed)."""
    return {
        "live": _("Live"),
        "connecting": _("Connecting…"),
        "reconnecting": _("Connection lost, reconnecting…"),
        "resyncing": _("Catching up…"),
        "login_again": _("Your session has ended. Log in again."),
        "forbidden": _("You do not have access to this board."),
        "no_shifts": _("No shifts in this period."),
        "confirmed_of": _("%(confirmed)s of %(capacity)s confirmed"),
        "waitlist": _("%(count)s on the waitlist"),
        # board.js shows it only for 1 or more; "one" is the form for 1 in nl, en and fr.
        "short_one": ngettext("Still %(count)s person short", "Still %(count)s people short", 1),
        "short_other": ngettext("Still %(count)s person short", "Still %(count)s people short", 2),
        # After the first names of a long waitlist (backend.board.selectors.WAITLIST_SHOWN).
        "more_waiting_one": ngettext(
            "and %(count)s more on the waitlist", "and %(count)s more on the waitlist", 1
        ),
        "more_waiting_other": ngettext(
            "and %(count)s more on the waitlist", "and %(count)s more on the waitlist", 2
        ),
        "starts_soon": _("Starts within 24 hours and is not full"),
        "on_site": _("on site"),
        "online": _("online"),
        "cancelled": _("Cancelled"),
        "over": _("Over"),
        "checked_in": _("checked in"),
        "checked_out": _("checked out"),
        "not_checked_in": _("not checked in"),
        "attended": _("attended"),
        "no_show": _("no-show"),
        "waitlisted": _("waitlist"),
        "opens_at": _("Opens at %(time)s"),
        "nobody": _("Nobody yet"),
        "changed": _("%(title)s at %(time)s: %(confirmed)s of %(capacity)s confirmed"),
        "shift_cancelled": _("%(title)s at %(time)s was cancelled"),
        "updated": _("Last update %(time)s"),
    }


@login_required
def board_index(request: HttpRequest) -> HttpResponse:
    """The boards the user may open."""
    user: User = request.user  # type: ignore[assignment]
    organisations = Organisation.objects.order_by("name")
    if not user.is_staff:
        organisations = organisations.filter(pk__in=managed_organisation_ids(user=user))
    return render(request, "board/index.html", {"organisations": organisations})


@cockpit_view()
def board_page(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    config = {
        "ws_path": f"/ws/v1/organisations/{organisation.pk}/board/",
        "time_zone": organisation.time_zone,
        "language": request.LANGUAGE_CODE,
        "strings": _strings(),
    }
    return render_cockpit(
        request, organisation, "board/board.html", {"config": config}, section="board"
    )


urlpatterns = [
    path("", board_index, name="index"),
    path("<slug:slug>/", board_page, name="page"),
]

"""The coordinators' live board page: a server-rendered shell that board.js keeps live."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.core.rate_limits import rate_limit_cache
from backend.organisations.models import Organisation
from backend.organisations.selectors import managed_organisation_ids, may_manage

LOGIN_FAILURES_WINDOW_SECONDS = 60


def _login_failures_key(request: HttpRequest | None) -> str:
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    return f"board_login_failures_{address}"


class ThrottledAuthenticationForm(AuthenticationForm):
    """Refuses before checking the password once an address has failed too often."""

    def clean(self) -> dict[str, Any]:
        failures = rate_limit_cache.get(_login_failures_key(self.request), 0)
        if failures >= settings.LOGIN_FAILURES_PER_MINUTE:
            raise ValidationError(
                _("Too many failed log-in attempts. Wait a minute and try again."),
                code="throttled",
            )
        return super().clean()


class LoginView(auth_views.LoginView):
    """Django's log-in page with a limit on failed attempts per client address per minute.

    The count lives in Django's cache (Redis when REDIS_URL is set), so it holds across web
    processes; while Redis is unreachable, in this process (``rate_limit_cache``), so log-ins
    still work. Over the limit the password is not even checked: guessing stops paying off.
    """

    template_name = "board/login.html"
    next_page = "board:index"
    authentication_form = ThrottledAuthenticationForm

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        if form.has_error(NON_FIELD_ERRORS, code="throttled"):
            return self.render_to_response(self.get_context_data(form=form), status=429)
        key = _login_failures_key(self.request)
        # A fixed window from the first failure; add() then incr() so that failures in two
        # processes at once both count.
        rate_limit_cache.add(key, 0, timeout=LOGIN_FAILURES_WINDOW_SECONDS)
        try:
            rate_limit_cache.incr(key)
        except ValueError:  # the window ran out between add() and incr()
            rate_limit_cache.set(key, 1, timeout=LOGIN_FAILURES_WINDOW_SECONDS)
        return super().form_invalid(form)


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
        "short": _("Still %(count)s people short"),
        "starts_soon": _("Starts within 24 hours and is not full"),
        "on_site": _("on site"),
        "online": _("online"),
        "cancelled": _("Cancelled"),
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


def _allowed(user: User, organisation: Organisation) -> bool:
    return may_manage(user=user, organisation_id=organisation.pk)


@login_required
def board_index(request: HttpRequest) -> HttpResponse:
    """The boards the user may open."""
    user: User = request.user  # type: ignore[assignment]
    organisations = Organisation.objects.order_by("name")
    if not user.is_staff:
        organisations = organisations.filter(pk__in=managed_organisation_ids(user=user))
    return render(request, "board/index.html", {"organisations": organisations})


@login_required
def board_page(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = get_object_or_404(Organisation, slug=slug)
    if not _allowed(request.user, organisation):  # type: ignore[arg-type]
        raise PermissionDenied
    config = {
        "ws_path": f"/ws/v1/organisations/{organisation.pk}/board/",
        "time_zone": organisation.time_zone,
        "language": request.LANGUAGE_CODE,
        "strings": _strings(),
    }
    return render(request, "board/board.html", {"organisation": organisation, "config": config})

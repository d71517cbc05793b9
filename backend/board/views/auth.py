"""Log in and out of the cockpit (the API uses JWTs and needs none of this)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from backend.core.rate_limits import rate_limit_cache

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
    # Home shows a volunteer their shifts and a coordinator their boards.
    next_page = "home"
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

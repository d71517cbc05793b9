"""Log in and out of the cockpit (the API uses JWTs and needs none of this)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse

from backend.accounts.guesses import guess_allowed, guess_failed
from backend.core.errors import TooManyRequests


def client_address(request: HttpRequest | None) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


class ThrottledAuthenticationForm(AuthenticationForm):
    """Refuses before checking the password once this address or this account has failed
    too often (``backend.accounts.guesses``: the same limits as the API's log-in)."""

    retry_after = 0

    def clean(self) -> dict[str, Any]:
        try:
            guess_allowed(
                email=str(self.data.get("username", "")), address=client_address(self.request)
            )
        except TooManyRequests as error:
            self.retry_after = error.retry_after or 0
            raise ValidationError(str(error.detail), code="throttled") from None
        return super().clean()


class LoginView(auth_views.LoginView):
    """Django's log-in page with the limits on wrong passwords (per client address and per
    account, counted in Redis when REDIS_URL is set, so across web processes; while Redis is
    unreachable, in this process, so log-ins still work). Over a limit the password is not
    even checked, and the page answers 429 with Retry-After.
    """

    template_name = "board/login.html"
    # Home shows a volunteer their shifts and a coordinator their boards.
    next_page = "home"
    authentication_form = ThrottledAuthenticationForm

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        if form.has_error(NON_FIELD_ERRORS, code="throttled"):
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(getattr(form, "retry_after", 0) or 1)
            return response
        if form.has_error(NON_FIELD_ERRORS, code="invalid_login"):
            guess_failed(
                email=str(form.data.get("username", "")), address=client_address(self.request)
            )
        return super().form_invalid(form)

"""Coordinator sign-up: an account and a new organisation on one page, or another
organisation for someone already logged in. Either way the person lands on the new board.

Sign-ups are limited per client address (``SIGNUP_ATTEMPTS_PER_HOUR`` attempts in an hour,
counted like the log-in page's failures, in ``rate_limit_cache``): accounts cost nothing to
make, so a script must not be able to make thousands, nor test passwords against the
validators for ever.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from backend.accounts.models import Language, User
from backend.board.forms import show_domain_error
from backend.board.forms.signup import CoordinatorSignupForm, OrganisationForm
from backend.core.errors import ValidationFailed
from backend.core.rate_limits import rate_limit_cache
from backend.lifecycle.signup import ORGANISATION_FIELDS, coordinator_sign_up
from backend.organisations.models import Organisation
from backend.organisations.services import organisation_create

SIGNUP_ATTEMPTS_PER_HOUR = 10
SIGNUP_WINDOW_SECONDS = 3600


def _attempts_key(request: HttpRequest) -> str:
    return f"board_signup_attempts_{request.META.get('REMOTE_ADDR', '')}"


def _throttled(request: HttpRequest) -> bool:
    """Counts this attempt; True when the address already used up its attempts."""
    key = _attempts_key(request)
    if rate_limit_cache.get(key, 0) >= SIGNUP_ATTEMPTS_PER_HOUR:
        return True
    # A fixed window from the first attempt; add() then incr() so that attempts in two
    # processes at once both count.
    rate_limit_cache.add(key, 0, timeout=SIGNUP_WINDOW_SECONDS)
    try:
        rate_limit_cache.incr(key)
    except ValueError:  # the window ran out between add() and incr()
        rate_limit_cache.set(key, 1, timeout=SIGNUP_WINDOW_SECONDS)
    return False


def _throttled_response(
    request: HttpRequest, template: str, form: OrganisationForm
) -> HttpResponse:
    form.add_error(None, _("Too many sign-ups from your address. Wait an hour and try again."))
    return render(request, template, {"form": form}, status=429)


def _welcome(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    messages.success(
        request,
        _(
            "Welcome to Inzet! %(name)s is ready. Plan the first shift with “New shift”, "
            "invite volunteers and coordinators under “Invites”, and check the rules under "
            "“Settings”."
        )
        % {"name": organisation.name},
    )
    return redirect("board:page", slug=organisation.slug)


def signup(request: HttpRequest) -> HttpResponse:
    """A new coordinator: their account and their organisation, of which they are the admin."""
    template = "board/signup/signup.html"
    if request.user.is_authenticated:
        return redirect("organisation_new")
    if request.method != "POST":
        return render(request, template, {"form": CoordinatorSignupForm()})
    form = CoordinatorSignupForm(request.POST)
    if _throttled(request):
        return _throttled_response(request, template, form)
    if form.is_valid():
        data = form.cleaned_data
        language = getattr(request, "LANGUAGE_CODE", Language.DUTCH)
        try:
            done = coordinator_sign_up(
                email=data["email"],
                password=data["password"],
                display_name=data["display_name"],
                organisation_name=data["organisation_name"],
                time_zone=data["time_zone"],
                kind=data["kind"],
                language=language if language in Language.values else Language.DUTCH,
            )
        except ValidationFailed as error:
            show_domain_error(form, error)
        else:
            login(request, done.user, backend="django.contrib.auth.backends.ModelBackend")
            return _welcome(request, done.organisation)
    return render(request, template, {"form": form})


@login_required
def organisation_new(request: HttpRequest) -> HttpResponse:
    """Someone logged in starts another organisation (they become its admin)."""
    template = "board/signup/organisation_new.html"
    if request.method != "POST":
        return render(request, template, {"form": OrganisationForm()})
    form = OrganisationForm(request.POST)
    if _throttled(request):
        return _throttled_response(request, template, form)
    if form.is_valid():
        user: User = request.user  # type: ignore[assignment]
        data = form.cleaned_data
        try:
            organisation = organisation_create(
                creator=user,
                name=data["organisation_name"],
                time_zone=data["time_zone"],
                kind=data["kind"],
            )
        except ValidationFailed as error:
            show_domain_error(
                form,
                ValidationFailed(
                    error.detail,
                    fields={ORGANISATION_FIELDS.get(k, k): v for k, v in error.fields.items()},
                ),
            )
        else:
            return _welcome(request, organisation)
    return render(request, template, {"form": form})


urlpatterns = [
    path("accounts/signup/", signup, name="signup"),
    path("organisations/new/", organisation_new, name="organisation_new"),
]

"""Coordinator sign-up: an account and a new organisation on one page, or another
organisation for someone already logged in. Either way the person lands on the new board.

Sign-ups are limited per client address (the ``signup_address`` rate limit, shared with the
API's sign-up): accounts cost nothing to make, so a script must not be able to make
thousands, nor test passwords against the validators for ever.
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
from backend.core.errors import TooManyRequests, ValidationFailed
from backend.core.rate_limits import limit_require
from backend.lifecycle.signup import ORGANISATION_FIELDS, coordinator_sign_up
from backend.organisations.models import Organisation
from backend.organisations.services import organisation_create


def _throttled(request: HttpRequest) -> TooManyRequests | None:
    """Counts this attempt; the refusal when the address already used up its attempts."""
    try:
        limit_require("signup_address", request.META.get("REMOTE_ADDR", ""))
    except TooManyRequests as error:
        return error
    return None


def _throttled_response(
    request: HttpRequest, template: str, form: OrganisationForm, error: TooManyRequests
) -> HttpResponse:
    form.add_error(None, str(error.detail))
    response = render(request, template, {"form": form}, status=429)
    response["Retry-After"] = str(error.retry_after or 1)
    return response


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
    if (refused := _throttled(request)) is not None:
        return _throttled_response(request, template, form, refused)
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
    if (refused := _throttled(request)) is not None:
        return _throttled_response(request, template, form, refused)
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

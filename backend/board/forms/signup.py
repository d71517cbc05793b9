"""The sign-up forms: a coordinator with a new organisation, and another organisation for
someone who is logged in.

The forms only parse input; the rules (password validators, a taken e-mail address, a known
time zone and kind) are the services'. ``show_domain_error`` puts what a service refused next
to the field it is about.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.organisations.models import OrganisationKind

DEFAULT_TIME_ZONE = "Europe/Brussels"


def _time_zones() -> list[tuple[str, str]]:
    # Region/City names only (no "Etc/GMT+1" or legacy aliases like "CET"): what people pick.
    names = sorted(
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/"))
    )
    return [(name, name.replace("_", " ")) for name in names]


class OrganisationForm(forms.Form):
    """A new organisation: its name, time zone and kind."""

    organisation_name = forms.CharField(
        label=_("Name of the organisation"),
        max_length=200,
        help_text=_("As volunteers know it, for example “WZC De Linde” or “Buurtzorg Gent”."),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        initial=DEFAULT_TIME_ZONE,
        help_text=_("Shift times are shown and entered in this time zone."),
    )
    kind = forms.ChoiceField(
        label=_("Kind of organisation"),
        choices=OrganisationKind.choices,
        initial=OrganisationKind.VOLUNTEER_ORGANISATION,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = _time_zones()  # type: ignore[attr-defined]


class CoordinatorSignupForm(OrganisationForm):
    """A coordinator's account and their new organisation, on one page."""

    display_name = forms.CharField(
        label=_("Your name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_("You log in with it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    field_order = ["display_name", "email", "password", "organisation_name", "time_zone", "kind"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Django's own (translated) description of the validators the service applies.
        self.fields["password"].help_text = " ".join(password_validators_help_texts())

    def clean(self) -> dict[str, Any] | None:
        """Also asks Django's password validators, which ``user_register`` applies again, so
        that a weak password is reported together with the other fields' errors rather than
        only once those are right."""
        data = super().clean() or {}
        password = data.get("password")
        if password:
            try:
                validate_password(password, user=User(email=data.get("email", "")))
            except ValidationError as error:
                self.add_error("password", error)
        return data

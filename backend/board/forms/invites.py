"""The invites page's forms: a new invite code, and the language of its poster.

Who may invite with which role is the service's rule (``invite_create``): the role menu offers
admins the admin role, but it is the service that refuses it to a coordinator.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from backend.board.forms.people import ROLE_CHOICES
from backend.organisations.models import Role

DEFAULT_VALID_DAYS = 30


class InviteForm(forms.Form):
    role = forms.ChoiceField(label=_("Joins as"), choices=ROLE_CHOICES, initial=Role.VOLUNTEER)
    valid_days = forms.IntegerField(
        label=_("Valid for (days)"),
        required=False,
        min_value=1,
        max_value=365,
        initial=DEFAULT_VALID_DAYS,
        help_text=_("Leave empty for a code that does not expire (a poster on a wall)."),
    )
    max_uses = forms.IntegerField(
        label=_("How many people may use it"),
        required=False,
        min_value=1,
        max_value=100_000,
        help_text=_("Leave empty for no limit."),
    )

    def __init__(self, *args: object, offer_admin: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if not offer_admin:
            # Not offered, yet still a valid value: the service decides (and explains).
            self.fields["role"].widget.choices = [
                (value, label) for value, label in ROLE_CHOICES if value != Role.ADMIN
            ]

    def valid_for(self) -> dt.timedelta | None:
        days = self.cleaned_data.get("valid_days")
        return dt.timedelta(days=days) if days else None


def _language_choices() -> list[tuple[str, str]]:
    # Each language in its own name ("Français"), as the header's language menu shows them.
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


class PosterLanguageForm(forms.Form):
    lang = forms.ChoiceField(label=_("Language of the poster"), choices=_language_choices)

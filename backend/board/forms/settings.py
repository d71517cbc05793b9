"""The organisation's settings form (admins), with the switches of Belgian volunteer law.

It parses; the rules (a name, a known time zone, a no-show limit of 1 to 20) are
``organisation_update``'s, whose field errors the view puts on this form. The browser gets
the same limits as hints.
"""

from __future__ import annotations

import functools
import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.organisations.services import NO_SHOW_LIMIT_RANGE, STAND_IN_DEADLINE_RANGE

FIRST_TIME_ZONE = "Europe/Brussels"

Choices = list[tuple[str, str] | tuple[str, list[tuple[str, str]]]]


@functools.cache
def time_zone_choices() -> Choices:
    """Europe/Brussels first, then every zone by region (``Europe``, ``America``, …)."""
    regions: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(zoneinfo.available_timezones()):
        if name == FIRST_TIME_ZONE or "/" not in name or name.startswith(("Etc/", "SystemV/")):
            continue
        regions.setdefault(name.split("/", 1)[0], []).append((name, name.replace("_", " ")))
    return [
        (FIRST_TIME_ZONE, FIRST_TIME_ZONE),
        *[(region, zones) for region, zones in sorted(regions.items())],
        ("UTC", "UTC"),
    ]


class OrganisationSettingsForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the organisation"),
        required=False,
        widget=forms.TextInput(attrs={"required": True, "maxlength": 200}),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=_("Shift times are shown and entered in this time zone."),
    )
    no_show_limit = forms.IntegerField(
        label=_("No-shows before a volunteer is blocked"),
        help_text=_(
            "After this many missed shifts without notice, a volunteer can only claim again "
            "once a coordinator clears it (1 to 20)."
        ),
        widget=forms.NumberInput(
            attrs={"min": NO_SHOW_LIMIT_RANGE[0], "max": NO_SHOW_LIMIT_RANGE[1]}
        ),
    )
    stand_in_deadline_hours = forms.IntegerField(
        label=_("Stand-ins until (hours before the start)"),
        required=False,
        help_text=_(
            "A volunteer who cannot come may ask for a stand-in until this many hours before "
            "the start; after it, they cancel as usual (0 to 336)."
        ),
        widget=forms.NumberInput(
            attrs={"min": STAND_IN_DEADLINE_RANGE[0], "max": STAND_IN_DEADLINE_RANGE[1]}
        ),
    )
    # Belgian volunteer law (backend/organisations/info_note.py).
    care_decree = forms.BooleanField(
        label=_("The organisation falls under the Flemish care decree"),
        required=False,
        help_text=_(
            "The information note then also holds the agreement note: the nature of the work, "
            "its duration and frequency, the contact person, the training required and how "
            "the cooperation ends."
        ),
    )
    publish_requires_insurance = forms.BooleanField(
        label=_(
            "Publish shifts only when the information note names the civil-liability insurance"
        ),
        required=False,
        help_text=_(
            "The law requires that insurance. Switch this off only when the organisation is "
            "covered in another way, for example by an umbrella body."
        ),
    )
    requires_birth_date = forms.BooleanField(
        label=_("Volunteers give their date of birth before claiming"),
        required=False,
        help_text=_(
            "Then the legal minimum age (16, or 15 after the first two years of secondary "
            "school) is checked for every shift, not only for shifts with an age limit of "
            "their own."
        ),
    )
    # The public page /o/<slug>/ (backend/board/views/public.py).
    public_page_enabled = forms.BooleanField(
        label=_("Show a public page that recruits volunteers"),
        required=False,
        help_text=_(
            "Anyone can open it without logging in: the description below, the upcoming "
            "public shifts (never an address or a name) and a Join via Telegram button."
        ),
    )
    public_description = forms.CharField(
        label=_("Description on the public page"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
        help_text=_("What the organisation does and what volunteers can help with."),
    )

"""The allowances page's forms: which year, an entry, a correction, and the policy (admins).

They parse; every rule (the caps, one regime a year, who may be paid, the rate per
kilometre) is the services' (``backend/allowances/services.py``), whose field errors the view
puts on these forms.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.http import QueryDict
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from backend.allowances.models import (
    AllowanceEntry,
    AllowancePolicy,
    FlatRatePer,
    HigherCapCategory,
    PolicyKind,
    Regime,
)

if TYPE_CHECKING:  # django-stubs is a development dependency
    from django_stubs_ext import StrOrPromise

# Years offered in the year menu, the current one included.
YEARS_OFFERED = 6


def _choices(choices: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    return [(value, str(capfirst(label))) for value, label in choices]


def _money(label: StrOrPromise, help_text: StrOrPromise = "") -> forms.DecimalField:
    """Euros with cents; the browser's number input sends a decimal point in any language."""
    return forms.DecimalField(
        label=label,
        help_text=help_text,
        required=False,
        min_value=Decimal(0),
        max_digits=9,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )


def _km(label: StrOrPromise, help_text: StrOrPromise = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        help_text=help_text,
        required=False,
        min_value=Decimal(0),
        max_digits=8,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "0", "inputmode": "decimal"}),
    )


class AllowanceYearForm(forms.Form):
    conditional: ClassVar[tuple[str, ...]] = ()

    year = forms.TypedChoiceField(label=_("Year"), coerce=int)

    def __init__(self, data: QueryDict | None = None, *, this_year: int) -> None:
        super().__init__(data)
        field = self.fields["year"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [
            (year, str(year)) for year in range(this_year, this_year - YEARS_OFFERED, -1)
        ]
        field.initial = this_year


class EntryAddForm(forms.Form):
    # Which one is needed depends on the regime: the service says when one is missing.
    conditional: ClassVar[tuple[str, ...]] = ("amount", "km")

    volunteer = forms.TypedChoiceField(label=_("Volunteer"), coerce=int)
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    regime = forms.ChoiceField(
        label=_("Kind of amount"),
        choices=_choices(Regime.choices),
        widget=forms.RadioSelect,
        initial=Regime.FLAT_RATE,
    )
    amount = _money(
        _("Amount in euro"),
        _("For transport, leave it empty to pay the kilometres at the organisation's rate."),
    )
    km = _km(_("Kilometres"), _("Only for transport."))
    higher_category = forms.ChoiceField(
        label=_("Activity of the higher yearly cap"),
        help_text=_("Only for a flat-rate allowance for one of the activities the law names."),
        choices=_choices(HigherCapCategory.choices),
        required=False,
    )
    description = forms.CharField(
        label=_("Description"),
        help_text=_("What it is for, as it should appear on the nominative list."),
        max_length=300,
        required=False,
        strip=True,
    )

    def __init__(
        self, data: QueryDict | None = None, *, volunteers: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        field = self.fields["volunteer"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("Choose a volunteer")), *volunteers]

    def add_values(self) -> dict[str, Any]:
        """Keyword arguments of ``entry_add`` (without actor and organisation)."""
        data = self.cleaned_data
        return {
            "volunteer_id": data["volunteer"],
            "day": data["day"],
            "regime": data["regime"],
            "amount": data["amount"],
            "km": data["km"],
            "higher_category": data["higher_category"] or "",
            "description": data["description"],
        }


class EntryCorrectForm(forms.Form):
    """A new amount for one entry (the kilometres too, for transport), and why."""

    conditional: ClassVar[tuple[str, ...]] = ("amount", "km")

    amount = _money(_("New amount in euro"))
    km = _km(_("Kilometres"), _("Leave the amount empty to pay them at the organisation's rate."))
    reason = forms.CharField(label=_("Reason"), max_length=300, strip=True)

    def __init__(
        self, data: QueryDict | None = None, *, entry: AllowanceEntry, **kwargs: Any
    ) -> None:
        kwargs.setdefault("prefix", f"entry-{entry.pk}")
        kwargs.setdefault("initial", {"amount": entry.amount, "km": entry.km})
        super().__init__(data, **kwargs)
        self.transport = entry.regime == Regime.TRANSPORT
        if not self.transport:
            del self.fields["km"]

    def correct_values(self) -> dict[str, Any]:
        """Keyword arguments of ``entry_correct`` (without actor and entry)."""
        data = self.cleaned_data
        return {"amount": data["amount"], "km": data.get("km"), "reason": data["reason"]}


class PolicyForm(forms.Form):
    conditional: ClassVar[tuple[str, ...]] = ("flat_rate_amount",)

    kind = forms.ChoiceField(
        label=_("What the organisation pays"),
        choices=_choices(PolicyKind.choices),
        widget=forms.RadioSelect,
    )
    flat_rate_amount = _money(
        _("Flat-rate amount in euro"),
        _("Up to the daily cap. Only used with a flat-rate allowance."),
    )
    flat_rate_per = forms.ChoiceField(
        label=_("The flat-rate amount is paid"),
        choices=_choices(FlatRatePer.choices),
        widget=forms.RadioSelect,
    )
    km_rate = forms.DecimalField(
        label=_("Euro per kilometre for transport"),
        help_text=_("0 or empty: transport is not paid."),
        required=False,
        min_value=Decimal(0),
        max_digits=6,
        decimal_places=4,
        widget=forms.NumberInput(attrs={"step": "0.0001", "min": "0", "inputmode": "decimal"}),
    )

    def __init__(
        self, data: QueryDict | None = None, *, policy: AllowancePolicy, **kwargs: Any
    ) -> None:
        kwargs.setdefault(
            "initial",
            {
                "kind": policy.kind,
                "flat_rate_amount": policy.flat_rate_amount,
                "flat_rate_per": policy.flat_rate_per,
                "km_rate": policy.km_rate,
            },
        )
        super().__init__(data, **kwargs)

    def policy_values(self) -> dict[str, Any]:
        """Keyword arguments of ``policy_update`` (without actor and organisation); an empty
        amount is 0."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "flat_rate_amount": data["flat_rate_amount"] or Decimal(0),
            "flat_rate_per": data["flat_rate_per"],
            "km_rate": data["km_rate"] or Decimal(0),
        }

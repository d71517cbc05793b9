"""The figures page's forms: which year, and which CSV flavour."""

from __future__ import annotations

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

# Years offered in the year menu, the current one included.
YEARS_OFFERED = 10


class FiguresForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)
    # On by default: what Excel in Belgium opens as columns (the box, unticked, is not sent).
    belgian = forms.BooleanField(
        label=_("Semicolons and decimal commas (Excel in Belgium)"),
        help_text=_("Without this option: commas and decimal points, as most other programs read."),
        required=False,
        initial=True,
    )

    def __init__(self, data: QueryDict | None = None, *, this_year: int) -> None:
        super().__init__(data)
        years = range(this_year, this_year - YEARS_OFFERED, -1)
        field = self.fields["year"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(year, str(year)) for year in years]
        field.initial = this_year

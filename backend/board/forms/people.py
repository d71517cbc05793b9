"""The people pages' forms: finding members, their role, their qualifications.

The forms only parse input. The rules (who may grant the admin role, the last admin, that a
qualification is held by members only) are the services'; ``show_domain_error`` puts what a
service refused on the form, next to the field it is about.
"""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from backend.organisations.models import Organisation, Qualification, Role

# The roles as a menu shows them ("Volunteer", not "volunteer").
ROLE_CHOICES = [(value, capfirst(label)) for value, label in Role.choices]


class DateInput(forms.DateInput):
    """The browser's date picker; the value travels as ISO 8601 whatever the language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, str] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class MemberSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or e-mail address"), required=False, max_length=100)
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("All roles")), *ROLE_CHOICES]
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)


class QualificationGrantForm(forms.Form):
    """Confirm that a member holds a qualification of the catalogue (again: a new expiry)."""

    qualification = forms.ModelChoiceField(
        label=_("Qualification"), queryset=Qualification.objects.none(), empty_label=None
    )
    expires_on = forms.DateField(
        label=_("Valid until"),
        required=False,
        help_text=_("Leave empty if it does not expire."),
        widget=DateInput(),
    )

    def __init__(
        self,
        *args: object,
        organisation: Organisation,
        qualifications: list[Qualification] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["qualification"]
        assert isinstance(field, forms.ModelChoiceField)
        # Another organisation's qualification is not a valid choice: "not found" for it.
        field.queryset = Qualification.objects.filter(organisation=organisation).order_by("name")
        if qualifications is not None:
            # The page already read the catalogue: offer it without a query of its own.
            field.widget.choices = [(q.pk, q.name) for q in qualifications]


class QualificationExpiryForm(forms.Form):
    """A new expiry for a qualification the member already holds (one form per row)."""

    expires_on = forms.DateField(label=_("Valid until"), required=False, widget=DateInput())

    def __init__(self, *args: object, qualification_id: int, **kwargs: object) -> None:
        # One form per qualification on the page: ids must differ.
        kwargs["auto_id"] = f"id_held-{qualification_id}-%s"
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class QualificationCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        required=False,
        # The browser's hint only; the service refuses a blank name.
        widget=forms.TextInput(attrs={"required": True}),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional: what it means and who confirms it."),
    )

"""The information note's form (admins): a new version, prefilled from the current one.

It parses, as the API's serializer does: the law's first two items (purpose and legal form)
are always needed, the rest is text. The rules that depend on other answers (who is
responsible for a de facto association, the agreement note under the care decree) are
``info_note_write``'s, whose field errors the view puts on this form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from backend.organisations.info_note import CARE_DECREE_FIELDS, NOTE_FIELDS
from backend.organisations.models import AllowanceKind, InfoNote, LegalForm, Organisation

if TYPE_CHECKING:  # django-stubs is a development dependency
    from django_stubs_ext import StrOrPromise


def _text(
    label: StrOrPromise, help_text: StrOrPromise = "", *, required: bool = False
) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _line(label: StrOrPromise, help_text: StrOrPromise = "", *, max_length: int) -> forms.CharField:
    return forms.CharField(
        label=label, help_text=help_text, required=False, strip=True, max_length=max_length
    )


class InfoNoteForm(forms.Form):
    # Needed or not by another answer (the legal form, the care decree): _field.html does not
    # call them optional; the service says when one is missing.
    conditional: ClassVar[tuple[str, ...]] = (
        "responsible_person",
        "work_nature",
        "contact_person",
    )

    purpose = _text(
        _("Purpose of the organisation"),
        _("What the organisation does, in a few sentences a volunteer understands."),
        required=True,
    )
    legal_form = forms.ChoiceField(
        label=_("Legal form"),
        choices=[(value, capfirst(label)) for value, label in LegalForm.choices],
        widget=forms.RadioSelect,
    )
    responsible_person = _line(
        _("Responsible person"),
        _("Needed for a de facto association: who is responsible for it."),
        max_length=200,
    )
    insurer = _line(
        _("Insurer"),
        _(
            "The civil-liability insurance the law requires. Shifts can be published once "
            "the insurer and the policy number are named."
        ),
        max_length=200,
    )
    policy_number = _line(_("Policy number"), max_length=100)
    other_insurance = _text(
        _("Other insurance"),
        _("For example bodily accidents during the work and on the way to it."),
    )
    allowance_kind = forms.ChoiceField(
        label=_("Kind of allowance"),
        choices=[(value, capfirst(label)) for value, label in AllowanceKind.choices],
        widget=forms.RadioSelect,
        initial=AllowanceKind.NONE,
    )
    allowance_details = _text(
        _("About the allowance"),
        _("Which amounts, for what, and when they are paid."),
    )
    discretion = _text(
        _("Discretion and professional secrecy"),
        _("What volunteers must keep to themselves (art. 458 of the Criminal Code)."),
    )
    work_nature = _text(_("Nature of the work"))
    duration_frequency = _text(_("Duration and frequency"))
    contact_person = _line(_("Contact person"), max_length=200)
    required_training = _text(_("Training required"))
    ending_cooperation = _text(_("Ending the cooperation"))
    material = forms.BooleanField(
        label=_("This is a material change (everyone confirms again before their next claim)"),
        required=False,
        initial=True,
        help_text=_(
            "A material change, such as another insurer, a new allowance or other tasks, asks "
            "every volunteer to confirm the new version before their next claim. Untick it for "
            "a correction, such as a typo: confirmations of the previous version still count."
        ),
    )

    def __init__(
        self, *args: Any, organisation: Organisation, note: InfoNote | None, **kwargs: Any
    ) -> None:
        if note is not None:
            kwargs.setdefault("initial", {name: getattr(note, name) for name in NOTE_FIELDS})
        super().__init__(*args, **kwargs)
        # The agreement note only counts for an organisation under the care decree.
        if not organisation.care_decree:
            for name in CARE_DECREE_FIELDS:
                del self.fields[name]
        # The first version is always material: nobody has confirmed anything yet.
        if note is None:
            del self.fields["material"]
        self.care_decree = organisation.care_decree

    def write_values(self) -> dict[str, Any]:
        """Keyword arguments of ``info_note_write`` (without actor and organisation)."""
        values = {name: self.cleaned_data[name] for name in NOTE_FIELDS if name in self.fields}
        values["material"] = self.cleaned_data.get("material", True)
        return values

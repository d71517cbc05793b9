"""Forms of the planning pages: they parse what a coordinator typed, as local dates and
wall-clock times of the organisation, into what the shift services take.

Every rule stays in the services. What they refuse comes back as a ``DomainError`` and is put
next to the field it is about (``PlanningForm.show_error``): the services name the fields
they validate (``starts_at``, ``claims_open_at``…), these forms say which of their inputs
stands for each.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backend.allowances.models import HigherCapCategory
from backend.board.forms import show_domain_error
from backend.core.dates import date_text
from backend.core.errors import DomainError
from backend.organisations.models import Organisation, Qualification
from backend.shifts import services
from backend.shifts.models import SeriesFrequency, Shift, ShiftMode, ShiftVisibility

ISO_DATE = "%Y-%m-%d"
CLOCK = "%H:%M"


class NonexistentLocalTime(ValueError):
    """A wall-clock time the clocks skip on that day (the change to summer time)."""


def local_moment(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """``day`` at the wall-clock ``time`` in ``zone``, in UTC.

    zoneinfo gives the offset valid on that day, so 14:00 is 14:00 in winter and in summer.
    A time that happens twice (the night summer time ends) means the first one; a time that
    never happens (the night it begins) raises ``NonexistentLocalTime`` rather than being
    moved silently by an hour.
    """
    naive = dt.datetime.combine(day, time)
    aware = naive.replace(tzinfo=zone)
    utc = aware.astimezone(dt.UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != naive:
        raise NonexistentLocalTime(naive.isoformat())
    return utc


def local_end(day: dt.date, start: dt.time, end: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The end of a shift that starts on ``day`` at ``start``: an end time before (or equal
    to) the start is on the next day, as for a series (a night shift)."""
    end_day = day + dt.timedelta(days=1) if end <= start else day
    return local_moment(end_day, end, zone)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format=ISO_DATE)


def _time_input() -> forms.TimeInput:
    # Plain text, not type="time": a native time input follows the browser's own language,
    # which shows AM/PM on many computers; "14:00" is what a coordinator here writes.
    return forms.TimeInput(
        attrs={
            "inputmode": "numeric",
            "autocomplete": "off",
            "placeholder": _("hh:mm"),
            "size": "6",
            "maxlength": "8",
            "class": "clock",
        },
        format=CLOCK,
    )


MODE_CHOICES = [(ShiftMode.ON_SITE, _("On site")), (ShiftMode.ONLINE, _("Online"))]
VISIBILITY_CHOICES = [
    (ShiftVisibility.MEMBERS, _("Members of the organisation")),
    (ShiftVisibility.PUBLIC, _("Every registered volunteer (public)")),
]


# The fields a shift's form hands to the services as they are: the services' template fields
# but the claims' opening time, which the form computes from a date and a time.
TEMPLATE_FIELDS = tuple(f for f in services.SERIES_TEMPLATE_FIELDS if f != "claims_open_at")


class PlanningForm(forms.Form):
    """What every planning form shares: the organisation (its time zone and catalogue) and
    how a refused service call is shown."""

    # A service's field name -> this form's field that stands for it.
    SERVICE_FIELDS: ClassVar[dict[str, str]] = {}
    # A domain error's code -> the field it is about (errors that name no field).
    CODE_FIELDS: ClassVar[dict[str, str]] = {}

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.zone = ZoneInfo(organisation.time_zone)
        # The code of the service's refusal, if any: _errors.html links a publication refused
        # for want of insurance (info_note_incomplete) to the information note.
        self.refused_code = ""

    def show_error(self, error: DomainError) -> None:
        """Put what a service refused next to the field it is about, or at the top."""
        self.refused_code = error.code
        show_domain_error(
            self, error, service_fields=self.SERVICE_FIELDS, code_fields=self.CODE_FIELDS
        )

    def _moment(self, day_field: str, time_field: str) -> dt.datetime | None:
        """The UTC moment of a local date and time input; None (with an error) if either is
        missing or invalid."""
        day = self.cleaned_data.get(day_field)
        time = self.cleaned_data.get(time_field)
        if day is None or time is None:
            return None
        try:
            return local_moment(day, time, self.zone)
        except NonexistentLocalTime:
            self.add_error(time_field, _nonexistent(day))
            return None


def _nonexistent(day: dt.date) -> str:
    return gettext(
        "This time does not exist on %(date)s: the clocks go forward an hour that night."
    ) % {"date": date_text(day, "j F Y")}


class ShiftFieldsForm(PlanningForm):
    """The fields of a shift that a series shares (everything but the times)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What volunteers will do, and what to bring."),
    )
    mode = forms.ChoiceField(
        label=_("On site or online"),
        choices=MODE_CHOICES,
        widget=forms.RadioSelect,
        initial=ShiftMode.ON_SITE,
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=300,
        required=False,
        help_text=_("For a shift on site. Only coordinators and confirmed volunteers see it."),
    )
    meeting_link = forms.URLField(
        label=_("Meeting link"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("For an online shift. Only coordinators and confirmed volunteers see it."),
    )
    capacity = forms.IntegerField(
        label=_("Volunteers needed"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    waitlist_enabled = forms.BooleanField(
        label=_("Keep a waitlist when the shift is full"), required=False, initial=True
    )
    visibility = forms.ChoiceField(
        label=_("Who can see and claim it"),
        choices=VISIBILITY_CHOICES,
        widget=forms.RadioSelect,
        initial=ShiftVisibility.MEMBERS,
    )
    required_qualifications = forms.ModelMultipleChoiceField(
        label=_("Required qualifications"),
        queryset=Qualification.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only volunteers who hold all of them can claim the shift."),
    )
    claims_open_date = forms.DateField(
        label=_("Claims open on"), required=False, widget=_date_input()
    )
    claims_open_time = forms.TimeField(label=_("at"), required=False, widget=_time_input())
    cancellation_deadline_hours = forms.IntegerField(
        label=_("Cancellation deadline"),
        initial=24,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("Hours before the start. Cancelling later counts as a late cancellation."),
    )
    min_age = forms.IntegerField(
        label=_("Minimum age"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_(
            "Leave empty for the legal minimum (16, or 15 after the first two years of "
            "secondary school). Volunteers give their date of birth before claiming."
        ),
    )
    allowance_category = forms.ChoiceField(
        label=_("Activity of the higher allowance cap"),
        choices=HigherCapCategory.choices,
        required=False,
        help_text=_(
            "Only for the activities the law names: above the normal yearly cap, volunteers "
            "may then receive allowances up to the higher cap."
        ),
    )

    SERVICE_FIELDS: ClassVar[dict[str, str]] = {"claims_open_at": "claims_open_date"}
    CODE_FIELDS: ClassVar[dict[str, str]] = {"capacity_below_confirmed": "capacity"}

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, organisation=organisation, **kwargs)
        catalogue = Qualification.objects.filter(organisation=organisation).order_by("name")
        field = self.fields["required_qualifications"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = catalogue
        self.has_qualifications = catalogue.exists()
        if not self.has_qualifications:
            del self.fields["required_qualifications"]
        # Needed or not depending on the mode (the service decides): not marked "optional".
        self.conditional = {"address", "meeting_link"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, time = data.get("claims_open_date"), data.get("claims_open_time")
        if day is not None and time is None and "claims_open_time" not in self.errors:
            self.add_error("claims_open_time", gettext("Give a time too, or no date."))
        elif time is not None and day is None and "claims_open_date" not in self.errors:
            self.add_error("claims_open_date", gettext("Give a date too, or no time."))
        else:
            data["claims_open_at"] = self._moment("claims_open_date", "claims_open_time")
        return data

    def template_values(self) -> dict[str, Any]:
        """The shift fields in the services' terms (not the times)."""
        data = self.cleaned_data
        values = {name: data[name] for name in TEMPLATE_FIELDS}
        values["claims_open_at"] = data.get("claims_open_at")
        return values

    def qualification_ids(self) -> list[int]:
        return [q.pk for q in self.cleaned_data.get("required_qualifications", [])]


class ShiftForm(ShiftFieldsForm):
    """One shift: a local date, a start and an end time (the end may be on the next day)."""

    # As the page shows them, so the error summary lists them in the same order.
    field_order = (
        "title",
        "description",
        "date",
        "start_time",
        "end_time",
        "mode",
        "address",
        "meeting_link",
        "capacity",
    )

    date = forms.DateField(label=_("Date"), widget=_date_input())
    start_time = forms.TimeField(label=_("Start"), widget=_time_input())
    end_time = forms.TimeField(label=_("End"), widget=_time_input())

    SERVICE_FIELDS: ClassVar[dict[str, str]] = {
        **ShiftFieldsForm.SERVICE_FIELDS,
        "starts_at": "start_time",
        "ends_at": "end_time",
    }

    @classmethod
    def initial_for(cls, shift: Shift, zone: ZoneInfo) -> dict[str, Any]:
        """The shift as the form shows it: its times as local dates and wall-clock times."""
        start, end = shift.starts_at.astimezone(zone), shift.ends_at.astimezone(zone)
        initial: dict[str, Any] = {
            name: getattr(shift, name)
            for name in (
                "title",
                "description",
                "mode",
                "address",
                "meeting_link",
                "capacity",
                "waitlist_enabled",
                "visibility",
                "cancellation_deadline_hours",
                "min_age",
                "allowance_category",
            )
        }
        initial |= {
            "date": start.date(),
            "start_time": start.time().replace(second=0, microsecond=0),
            "end_time": end.time().replace(second=0, microsecond=0),
            "required_qualifications": list(shift.required_qualifications.all()),
        }
        if shift.claims_open_at is not None:
            opens = shift.claims_open_at.astimezone(zone)
            initial["claims_open_date"] = opens.date()
            initial["claims_open_time"] = opens.time().replace(second=0, microsecond=0)
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        day, start, end = data.get("date"), data.get("start_time"), data.get("end_time")
        if day is not None and start is not None and end is not None:
            data["starts_at"] = self._moment("date", "start_time")
            try:
                data["ends_at"] = local_end(day, start, end, self.zone)
            except NonexistentLocalTime:
                self.add_error("end_time", _nonexistent(day))
        return data

    def show_rule_errors(self, *, creating: bool) -> None:
        """After input that did not all parse: what the services' rules say of the values
        that did (a start in the past, a missing address, a capacity of 0), next to fields
        that have no error yet, so one round shows every mistake."""
        data = self.cleaned_data
        values = {name: data[name] for name in TEMPLATE_FIELDS if name in data}
        for moment in ("starts_at", "ends_at", "claims_open_at"):
            if data.get(moment) is not None:
                values[moment] = data[moment]
        for name, messages in services.shift_field_errors(values, creating=creating).items():
            target = self.SERVICE_FIELDS.get(name, name)
            if target in self.fields and target not in self.errors:
                for message in messages:
                    self.add_error(target, message)

    def create_values(self) -> dict[str, Any]:
        """Keyword arguments of ``shift_create`` (without actor, organisation, publish)."""
        return {
            **self.template_values(),
            "starts_at": self.cleaned_data["starts_at"],
            "ends_at": self.cleaned_data["ends_at"],
            "required_qualification_ids": self.qualification_ids(),
        }

    def update_values(self) -> dict[str, Any]:
        """Keyword arguments of ``shift_update``. The times go only when their inputs
        changed: the stored times may carry seconds the minute inputs cannot show, and an
        untouched shift that already started must stay editable."""
        values = self.template_values()
        changed = set(self.changed_data)
        if not changed & {"claims_open_date", "claims_open_time"}:
            del values["claims_open_at"]
        if changed & {"date", "start_time", "end_time"}:
            values["starts_at"] = self.cleaned_data["starts_at"]
            values["ends_at"] = self.cleaned_data["ends_at"]
        if "required_qualifications" in self.fields:
            values["required_qualification_ids"] = self.qualification_ids()
        return values


class SeriesForm(ShiftFieldsForm):
    """A recurring shift: the shift's fields and a daily or weekly rule."""

    frequency = forms.ChoiceField(
        label=_("Repeats"),
        choices=[
            (SeriesFrequency.WEEKLY, _("Every week")),
            (SeriesFrequency.DAILY, _("Every day")),
        ],
        widget=forms.RadioSelect,
        initial=SeriesFrequency.WEEKLY,
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("On"),
        choices=list(WEEKDAYS.items()),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Weekly only. None chosen: the weekday of the first day."),
    )
    interval = forms.IntegerField(
        label=_("Interval"),
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("1: every week (or day); 2: every other week (or day); and so on."),
    )
    starts_on = forms.DateField(label=_("First day"), widget=_date_input())
    until = forms.DateField(label=_("Last day"), widget=_date_input())
    start_time = forms.TimeField(label=_("Start"), widget=_time_input())
    end_time = forms.TimeField(label=_("End"), widget=_time_input())

    SERVICE_FIELDS: ClassVar[dict[str, str]] = {
        **ShiftFieldsForm.SERVICE_FIELDS,
        "starts_at": "start_time",
        "ends_at": "end_time",
    }

    def rule_values(self) -> dict[str, Any]:
        """The rule in the services' terms (``series_create``, ``series_occurrence_dates``)."""
        data = self.cleaned_data
        weekly = data["frequency"] == SeriesFrequency.WEEKLY
        return {
            "frequency": data["frequency"],
            "weekdays": data["weekdays"] if weekly else [],
            "interval": data["interval"],
            "starts_on": data["starts_on"],
            "until": data["until"],
            "start_time": data["start_time"],
            "end_time": data["end_time"],
        }

    RULE_FIELDS = (
        "frequency",
        "weekdays",
        "interval",
        "starts_on",
        "until",
        "start_time",
        "end_time",
    )

    def rule_is_valid(self) -> bool:
        """The rule's own inputs parsed (the preview needs no more than these)."""
        return all(name in self.cleaned_data for name in self.RULE_FIELDS)

    def create_values(self) -> dict[str, Any]:
        """Keyword arguments of ``series_create`` (without actor, organisation, publish)."""
        return {
            **self.template_values(),
            **self.rule_values(),
            "required_qualification_ids": self.qualification_ids(),
        }


class CopyWeekForm(PlanningForm):
    from_week = forms.DateField(label=_("Copy the week of"), widget=_date_input())
    to_week = forms.DateField(label=_("To the week of"), widget=_date_input())
    publish = forms.BooleanField(
        label=_("Publish the copies right away"),
        required=False,
        help_text=_("Otherwise they are drafts: volunteers see them once you publish them."),
    )

"""Query-string filters of the shift list."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import django_filters
from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

from backend.api.serializers import MAX_ID, UTC_OFFSET_ERROR, utc_offset_in_range
from backend.shifts.listing import ShiftQuery
from backend.shifts.models import Shift, ShiftMode, ShiftStatus


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """An id in the query string; out-of-range numbers are a 400, not a database error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.field_class = django_filters.fields.forms.IntegerField
        self.extra.update(min_value=1, max_value=MAX_ID)


class IsoDateTimeField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value: Any) -> dt.datetime | None:
        result: dt.datetime | None = super().to_python(value)
        # The filter hands the datetime to PostgreSQL as it came, offset and all.
        if result is not None and not utc_offset_in_range(result):
            raise forms.ValidationError(UTC_OFFSET_ERROR, code="utc_offset")
        return result


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 datetime in the query string, with a UTC offset some time zone has."""

    field_class = IsoDateTimeField


class StrictBooleanField(forms.Field):
    """``true``/``false`` (or ``1``/``0``) in the query string; anything else is a 400, not
    silently no filter (Django's NullBooleanField reads ``open=banana`` as "not given")."""

    widget = forms.TextInput
    TRUE = frozenset({"true", "1"})
    FALSE = frozenset({"false", "0"})

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError(_("Give true or false."), code="invalid")


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class StrictOrderingFilter(OrderingFilter):
    """``ordering`` with a field the view does not order by is a 400, not the default order."""

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        given = request.query_params.get(self.ordering_param)
        if given:
            fields = [term.strip() for term in given.split(",") if term.strip()]
            valid = self.remove_invalid_fields(queryset, fields, view, request)
            if len(valid) != len(fields):
                allowed = ", ".join(
                    f"{sign}{name}" for name in view.ordering_fields for sign in ("", "-")
                )
                raise ValidationError(
                    {self.ordering_param: [_("Order by one of: %(fields)s.") % {"fields": allowed}]}
                )
        return super().get_ordering(request, queryset, view)


class ShiftFilter(django_filters.FilterSet):
    """The shift list's query string, checked and typed (:meth:`checked`); the filtering
    itself is the domain's ``ShiftQuery``."""

    organisation = IdFilter(field_name="organisation_id")
    mode = django_filters.ChoiceFilter(choices=ShiftMode.choices)
    status = django_filters.ChoiceFilter(choices=ShiftStatus.choices)
    # "from"/"to" select shifts that overlap the window: they end after from, start before to.
    from_ = IsoDateTimeFilter(field_name="ends_at", lookup_expr="gt", label="from")
    to = IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    open = StrictBooleanFilter(
        label="open", help_text="Open: published, not started, with a free seat."
    )
    qualification = IdFilter(field_name="required_qualifications")

    class Meta:
        model = Shift
        fields = ("organisation", "mode", "status", "qualification")

    _checking_form: ClassVar[type[forms.Form] | None] = None

    @classmethod
    def checked(cls, data: QueryDict) -> ShiftQuery:
        """The query string checked (else a 400 that names the parameter) and typed. The form
        class is built once per process: django-filter builds it per request, copying every
        filter, which costs more than the list's database work."""
        if cls._checking_form is None:  # a race builds the same class twice, harmlessly
            cls._checking_form = cls(queryset=Shift.objects.none()).get_form_class()
        form = cls._checking_form(data)
        if not form.is_valid():
            raise translate_validation(form.errors)
        return cls.query_of(form.cleaned_data)

    @staticmethod
    def query_of(data: dict[str, Any]) -> ShiftQuery:
        return ShiftQuery(
            organisation_id=data.get("organisation"),
            mode=data.get("mode") or None,
            status=data.get("status") or None,
            ends_after=data.get("from"),
            starts_before=data.get("to"),
            open=data.get("open"),
            qualification_id=data.get("qualification"),
        )

    def filter_queryset(self, queryset: QuerySet[Shift]) -> QuerySet[Shift]:
        # As a plain FilterSet (the list view itself calls checked()), the same rules.
        return self.query_of(self.form.cleaned_data).apply(queryset, now=timezone.now())


# "from" is a Python keyword, so the filter is declared as from_ and renamed here.
ShiftFilter.base_filters["from"] = ShiftFilter.base_filters.pop("from_")

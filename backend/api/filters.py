"""Query-string filters of the shift list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

from backend.api.serializers import MAX_ID, UTC_OFFSET_ERROR, utc_offset_in_range
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
    organisation = IdFilter(field_name="organisation_id")
    mode = django_filters.ChoiceFilter(choices=ShiftMode.choices)
    status = django_filters.ChoiceFilter(choices=ShiftStatus.choices)
    # "from"/"to" select shifts that overlap the window: they end after from, start before to.
    from_ = IsoDateTimeFilter(field_name="ends_at", lookup_expr="gt", label="from")
    to = IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    open = StrictBooleanFilter(method="filter_open", label="open")
    qualification = IdFilter(field_name="required_qualifications")

    class Meta:
        model = Shift
        fields = ("organisation", "mode", "status", "qualification")

    def filter_open(
        self, queryset: QuerySet[Shift], name: str, value: bool | None
    ) -> QuerySet[Shift]:
        """Open: published, not started, with a free seat."""
        if value is None:
            return queryset
        open_q = queryset.filter(
            status=ShiftStatus.PUBLISHED,
            starts_at__gt=timezone.now(),
            confirmed_count__lt=F("capacity"),
        )
        return open_q if value else queryset.exclude(pk__in=open_q.values("pk"))


# "from" is a Python keyword, so the filter is declared as from_ and renamed here.
ShiftFilter.base_filters["from"] = ShiftFilter.base_filters.pop("from_")

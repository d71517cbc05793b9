"""Query-string filters of the shift list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.db.models import F, QuerySet
from django.utils import timezone

from backend.api.serializers import MAX_ID, UTC_OFFSET_ERROR, utc_offset_in_range
from backend.shifts.models import Shift, ShiftMode, ShiftStatus


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


class ShiftFilter(django_filters.FilterSet):
    organisation = IdFilter(field_name="organisation_id")
    mode = django_filters.ChoiceFilter(choices=ShiftMode.choices)
    status = django_filters.ChoiceFilter(choices=ShiftStatus.choices)
    # "from"/"to" select shifts that overlap the window: they end after from, start before to.
    from_ = IsoDateTimeFilter(field_name="ends_at", lookup_expr="gt", label="from")
    to = IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    open = django_filters.BooleanFilter(method="filter_open", label="open")
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

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.core.errors import DomainError, ValidationFailed
from backend.shifts import services
from backend.shifts.models import Claim, Shift, ShiftChange, ShiftSeries, ShiftStatus

# Meeting links typed without a scheme are https (Django 6's default; 5.2 warns otherwise).
URL_FIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}


class ServiceForm(forms.ModelForm):
    """A model form that saves through a service while validating, so that what the service
    refuses shows as form errors rather than a server error. The admin runs the whole request
    in one transaction, so the write is undone if anything after it fails; a savepoint undoes
    a refused service's partial writes. Subclasses say how to save (:meth:`save_through`)."""

    actor: User
    saved: Any = None

    def save_through(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        # ModelForm.clean returns cleaned_data; the stubs allow None for overrides.
        data = cast(dict[str, Any], super().clean())
        if self.errors:
            return data  # the service only sees a form that is valid as a form
        try:
            with transaction.atomic():
                self.saved = self.save_through(data)
        except DomainError as error:
            for field, messages in error.fields.items():
                self.add_error(field if field in self.fields else None, messages)
            if not error.fields:
                self.add_error(None, str(error.detail))
        return data


class ServiceSavedAdmin(admin.ModelAdmin):
    """A model admin whose form (a :class:`ServiceForm`) has already saved the object."""

    def get_form(self, request: Any, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form: Any = super().get_form(request, obj, change, **kwargs)
        form.actor = request.user  # a fresh class per request (modelform_factory)
        return form

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.pk = form.saved.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The service set the many-to-many fields (no form.save_m2m); the inlines are read
        # only, so saving their formsets changes nothing.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class ClaimInline(admin.TabularInline):
    model = Claim
    extra = 0
    fields = ("volunteer", "status", "waitlist_ticket", "late_cancellation", "created_at")
    readonly_fields = fields
    # Read only: claims are made and cancelled through the services (the API, the bot, the
    # board), which keep the seat counters true, promote the waitlist and tell people.

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _save_shift(actor: User, shift: Shift, data: dict[str, Any]) -> Shift:
    fields = {name: data[name] for name in services.EDITABLE_FIELDS if name in data}
    qualification_ids = [q.pk for q in data.get("required_qualifications", [])]
    if shift.pk is None:
        status = data.get("status", ShiftStatus.DRAFT)
        if status == ShiftStatus.CANCELLED:
            raise ValidationFailed(fields={"status": [_("A new shift cannot be cancelled.")]})
        return services.shift_create(
            actor=actor,
            organisation=data["organisation"],
            required_qualification_ids=qualification_ids,
            publish=status == ShiftStatus.PUBLISHED,
            **fields,
        )
    return services.shift_update(
        actor=actor, shift_id=shift.pk, required_qualification_ids=qualification_ids, **fields
    )


class ShiftAdminForm(ServiceForm):
    """Creates and changes shifts through the services, with the same rules as the API
    (capacity not below the confirmed count, a time change recorded and told to the
    volunteers, an occurrence edited on its own leaves its series)."""

    def save_through(self, data: dict[str, Any]) -> Shift:
        return _save_shift(self.actor, self.instance, data)


@admin.register(Shift)
class ShiftAdmin(ServiceSavedAdmin):
    list_display = ("title", "organisation", "starts_at", "status", "confirmed_count", "capacity")
    list_filter = ("status", "mode", "organisation")
    list_select_related = ("organisation",)
    search_fields = ("title",)
    date_hierarchy = "starts_at"
    form = ShiftAdminForm
    formfield_overrides = URL_FIELDS
    inlines = (ClaimInline,)
    actions = ("publish_shifts", "cancel_shifts")
    exclude = ("created_by",)
    # Kept by the services: the counters, the series link, and the status (the actions below).
    COMPUTED = (
        "confirmed_count",
        "waitlist_count",
        "waitlist_seq",
        "series",
        "series_date",
        "series_detached",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return self.COMPUTED
        return (*self.COMPUTED, "organisation", "status")

    @admin.action(description=_("Publish the selected draft shifts"))
    def publish_shifts(self, request: HttpRequest, queryset: QuerySet[Shift]) -> None:
        self._each(request, queryset, services.shift_publish, _("Shifts published: %(count)d."))

    @admin.action(description=_("Cancel the selected shifts (volunteers are told)"))
    def cancel_shifts(self, request: HttpRequest, queryset: QuerySet[Shift]) -> None:
        self._each(request, queryset, services.shift_cancel, _("Shifts cancelled: %(count)d."))

    def _each(
        self, request: HttpRequest, queryset: QuerySet[Shift], operation: Any, done: Any
    ) -> None:
        """Run ``operation`` through the services for each shift; report what they refuse,
        then how many went through (``done``, with ``%(count)d``)."""
        actor = cast(User, request.user)
        count = 0
        for shift in queryset.order_by("pk"):
            try:
                with transaction.atomic():
                    operation(actor=actor, shift_id=shift.pk)
                count += 1
            except DomainError as error:
                self.message_user(request, f"{shift}: {error.detail}", messages.ERROR)
        if count:
            self.message_user(request, str(done) % {"count": count}, messages.SUCCESS)


@admin.register(ShiftChange)
class ShiftChangeAdmin(admin.ModelAdmin):
    list_display = ("shift", "changed_at", "fields")
    list_select_related = ("shift",)


class OccurrenceInline(admin.TabularInline):
    model = Shift
    fk_name = "series"
    extra = 0
    can_delete = False
    fields = ("series_date", "starts_at", "ends_at", "status", "series_detached", "confirmed_count")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _save_series(actor: User, series_id: int | None, data: dict[str, Any]) -> ShiftSeries:
    end_time = (
        dt.datetime.combine(dt.date.min, data["start_time"])
        + dt.timedelta(minutes=data["duration_minutes"])
    ).time()
    template = {name: data[name] for name in services.SERIES_TEMPLATE_FIELDS}
    rule = {name: data[name] for name in services.SERIES_RULE_FIELDS}
    qualification_ids = [q.pk for q in data["required_qualifications"]]
    if series_id is not None:
        return services.series_update(
            actor=actor,
            series_id=series_id,
            required_qualification_ids=qualification_ids,
            start_time=data["start_time"],
            end_time=end_time,
            **template,
            **rule,
        )
    template.pop("title")
    template.pop("capacity")
    return services.series_create(
        actor=actor,
        organisation=data["organisation"],
        title=data["title"],
        capacity=data["capacity"],
        start_time=data["start_time"],
        end_time=end_time,
        required_qualification_ids=qualification_ids,
        **rule,
        **template,
    )


class SeriesAdminForm(ServiceForm):
    """Saves the series through the services (a rule with too many dates, an occurrence that
    is not a valid shift: form errors)."""

    def save_through(self, data: dict[str, Any]) -> ShiftSeries:
        return _save_series(self.actor, self.instance.pk, data)


@admin.register(ShiftSeries)
class ShiftSeriesAdmin(ServiceSavedAdmin):
    """Series are created and changed through the services, so the occurrences follow: a new
    series creates its shifts (as drafts), a change moves the future ones. One occurrence is
    edited on its own page (it then leaves the series)."""

    list_display = ("title", "organisation", "frequency", "starts_on", "until", "start_time")
    list_filter = ("organisation", "frequency")
    list_select_related = ("organisation",)
    readonly_fields = ("created_by", "created_at", "updated_at")
    inlines = (OccurrenceInline,)
    formfield_overrides = URL_FIELDS

    form = SeriesAdminForm

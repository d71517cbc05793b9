import datetime as dt
from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from backend.shifts import services
from backend.shifts.models import Claim, Shift, ShiftChange, ShiftSeries


class ClaimInline(admin.TabularInline):
    model = Claim
    extra = 0
    raw_id_fields = ("volunteer",)
    # The seat counters are kept by the services; support staff read claims here, and change
    # them through the API or the services so the counters stay true.
    readonly_fields = ("status", "waitlist_ticket", "late_cancellation", "created_at")


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ("title", "organisation", "starts_at", "status", "confirmed_count", "capacity")
    list_filter = ("status", "mode", "organisation")
    list_select_related = ("organisation",)
    search_fields = ("title",)
    date_hierarchy = "starts_at"
    readonly_fields = ("confirmed_count", "waitlist_count", "waitlist_seq")
    inlines = (ClaimInline,)


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


@admin.register(ShiftSeries)
class ShiftSeriesAdmin(admin.ModelAdmin):
    """Series are created and changed through the services, so the occurrences follow: a new
    series creates its shifts (as drafts), a change moves the future ones. One occurrence is
    edited on its own page (it then leaves the series)."""

    list_display = ("title", "organisation", "frequency", "starts_on", "until", "start_time")
    list_filter = ("organisation", "frequency")
    list_select_related = ("organisation",)
    readonly_fields = ("created_by", "created_at", "updated_at")
    inlines = (OccurrenceInline,)

    def save_model(self, request: HttpRequest, obj: ShiftSeries, form: Any, change: bool) -> None:
        data = form.cleaned_data
        end_time = (
            dt.datetime.combine(dt.date.min, data["start_time"])
            + dt.timedelta(minutes=data["duration_minutes"])
        ).time()
        template = {name: data[name] for name in services.SERIES_TEMPLATE_FIELDS}
        rule = {name: data[name] for name in services.SERIES_RULE_FIELDS}
        qualification_ids = [q.pk for q in data["required_qualifications"]]
        if change:
            series = services.series_update(
                actor=request.user,  # type: ignore[arg-type]
                series_id=obj.pk,
                required_qualification_ids=qualification_ids,
                start_time=data["start_time"],
                end_time=end_time,
                **template,
                **rule,
            )
        else:
            template.pop("title")
            template.pop("capacity")
            series = services.series_create(
                actor=request.user,  # type: ignore[arg-type]
                organisation=data["organisation"],
                title=data["title"],
                capacity=data["capacity"],
                start_time=data["start_time"],
                end_time=end_time,
                required_qualification_ids=qualification_ids,
                **rule,
                **template,
            )
        obj.pk = series.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The service set the qualifications (no form.save_m2m); the inline is read only.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

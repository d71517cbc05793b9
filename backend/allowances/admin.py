"""The caps table in the Django admin: staff correct a year's row (the 2026 amounts rest on one
published source so far), and every changed value is recorded with its old value."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from backend.allowances.models import AllowanceCap, AllowanceCapChange
from backend.allowances.services import cap_correct

CAP_FIELDS = ("daily", "yearly", "higher_yearly", "transport_km", "source")


class ChangeInline(admin.TabularInline):
    model = AllowanceCapChange
    extra = 0
    can_delete = False
    readonly_fields = ("field", "old_value", "new_value", "changed_by", "changed_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AllowanceCap)
class AllowanceCapAdmin(admin.ModelAdmin):
    list_display = ("year", "daily", "yearly", "higher_yearly", "transport_km")
    inlines = (ChangeInline,)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("year",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: AllowanceCap, form: Any, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        values = {name: form.cleaned_data[name] for name in CAP_FIELDS if name in form.changed_data}
        cap_correct(actor=request.user, year=obj.year, **values)  # type: ignore[arg-type]

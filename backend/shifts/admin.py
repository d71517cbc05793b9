from django.contrib import admin

from backend.shifts.models import Claim, Shift, ShiftChange


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

from django.contrib import admin
from django.http import HttpRequest

from backend.organisations.models import (
    InviteCode,
    Membership,
    Organisation,
    PastMembership,
    Qualification,
    VolunteerQualification,
)


class MembershipInline(admin.TabularInline):
    """Read-only: joining, leaving and role changes go through the services (invite codes,
    the members API), which keep the history the yearly figures are computed from."""

    model = Membership
    extra = 0
    fields = ("user", "role", "joined_at", "no_show_count", "claims_blocked_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "time_zone")
    search_fields = ("name", "slug")
    inlines = (MembershipInline,)


@admin.register(InviteCode)
class InviteCodeAdmin(admin.ModelAdmin):
    list_display = ("organisation", "role", "code", "expires_at", "uses", "max_uses", "revoked")
    list_filter = ("role", "revoked")


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation")
    list_select_related = ("organisation",)


@admin.register(VolunteerQualification)
class VolunteerQualificationAdmin(admin.ModelAdmin):
    list_display = ("user", "qualification", "expires_on", "confirmed_at")
    list_select_related = ("user", "qualification")
    raw_id_fields = ("user", "confirmed_by")


@admin.register(PastMembership)
class PastMembershipAdmin(admin.ModelAdmin):
    """Ended memberships: history for the figures, so read only."""

    list_display = ("user", "organisation", "role", "joined_at", "ended_at")
    list_filter = ("organisation",)
    list_select_related = ("user", "organisation")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

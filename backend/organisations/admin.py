from django.contrib import admin

from backend.organisations.models import (
    InviteCode,
    Membership,
    Organisation,
    Qualification,
    VolunteerQualification,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


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

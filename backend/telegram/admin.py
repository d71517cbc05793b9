from django.contrib import admin

from backend.telegram.models import TelegramAccount


@admin.register(TelegramAccount)
class TelegramAccountAdmin(admin.ModelAdmin):
    list_display = ("user", "reminders_enabled", "unreachable_since")
    raw_id_fields = ("user",)

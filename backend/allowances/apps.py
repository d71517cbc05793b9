from django.apps import AppConfig


class AllowancesConfig(AppConfig):
    name = "backend.allowances"
    label = "allowances"
    verbose_name = "Volunteer allowances"

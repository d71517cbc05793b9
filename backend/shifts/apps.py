from django.apps import AppConfig


class ShiftsConfig(AppConfig):
    name = "backend.shifts"
    label = "shifts"
    verbose_name = "Shifts"

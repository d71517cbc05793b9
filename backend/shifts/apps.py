from django.apps import AppConfig


class ShiftsConfig(AppConfig):
    name = "backend.shifts"
    label = "shifts"
    verbose_name = "Shifts"

    def ready(self) -> None:
        # The claim path's read is compiled once per process; do it at start, not in the
        # first claim (backend/core/compiled.py).
        from backend.shifts.services.claims import prepare_claim_path

        prepare_claim_path()

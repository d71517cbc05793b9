"""The legal caps of the volunteer allowance for 2024, 2025 and 2026 (indexed every year).
A new year is one more row (the Django admin records a correction with its old value)."""

from decimal import Decimal

from django.db import migrations

CAPS = [
    (
        2024,
        "41.48",
        "1659.29",
        "3047.43",
        "Yearly indexation of the volunteer allowance for 2024 (FOD Sociale Zekerheid, "
        "vrijwilligerswerk.be).",
    ),
    (
        2025,
        "42.31",
        "1692.51",
        "3108.44",
        "Yearly indexation of the volunteer allowance for 2025 (FOD Sociale Zekerheid, "
        "vrijwilligerswerk.be).",
    ),
    (
        2026,
        "44.02",
        "1760.83",
        "3233.91",
        "Yearly indexation of the volunteer allowance for 2026, from one published source so "
        "far (Vlaams Steunpunt Vrijwilligerswerk); check it against the official notice and "
        "correct the row in the admin if it differs.",
    ),
]


def add_caps(apps, schema_editor):  # type: ignore[no-untyped-def]
    AllowanceCap = apps.get_model("allowances", "AllowanceCap")
    for year, daily, yearly, higher, source in CAPS:
        AllowanceCap.objects.update_or_create(
            year=year,
            defaults={
                "daily": Decimal(daily),
                "yearly": Decimal(yearly),
                "higher_yearly": Decimal(higher),
                "transport_km": 2000,
                "source": source,
            },
        )


def remove_caps(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("allowances", "AllowanceCap").objects.filter(
        year__in=[year for year, *_ in CAPS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("allowances", "0001_initial")]

    operations = [migrations.RunPython(add_caps, remove_caps)]

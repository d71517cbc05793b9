"""The volunteer allowance (vrijwilligersvergoeding) of Belgian law: an organisation's policy,
the ledger of what each volunteer was paid, amounts declared from organisations outside
Inzet, and the legal caps, one row per year (``backend/allowances/services.py``).

Amounts are euros with cents (``Decimal``, never floats). The ledger is append-only: a
correction is a new entry that ``replaces`` an earlier one, with its reason, so the history
of every amount stays.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.organisations.models import Organisation


def money_field(**options: Any) -> models.DecimalField:
    """Euros with cents, up to 9,999,999.99."""
    return models.DecimalField(max_digits=9, decimal_places=2, **options)


class PolicyKind(models.TextChoices):
    NONE = "none", _("no allowance")
    FLAT_RATE = "flat_rate", _("flat-rate allowance")
    REAL_COSTS = "real_costs", _("real costs against receipts")


class FlatRatePer(models.TextChoices):
    SHIFT = "shift", _("per shift")
    DAY = "day", _("per day")


class Regime(models.TextChoices):
    """What an entry is. Flat-rate and real costs cannot be mixed in one calendar year;
    transport by kilometre goes with either (up to the yearly kilometres with flat-rate)."""

    FLAT_RATE = "flat_rate", _("flat-rate allowance")
    REAL_COSTS = "real_costs", _("real costs")
    TRANSPORT = "transport", _("transport by kilometre")


class HigherCapCategory(models.TextChoices):
    """Activities for which the law allows the higher yearly cap (only the part above the
    normal cap may come from them)."""

    NONE = "", _("none")
    CARE_SITTING = "care_sitting", _("night or day sitting with people in need of care")
    PATIENT_TRANSPORT = "patient_transport", _("non-urgent transport of patients lying down")
    SPORTS = "sports", _("sports trainer, coach, referee or steward")


class AllowanceCap(models.Model):
    """The legal caps of one calendar year (indexed every year). Kept as data so past years
    stay reproducible and a new year is one row; ``source`` names the publication."""

    year = models.PositiveSmallIntegerField(unique=True)
    daily = money_field()
    yearly = money_field()
    higher_yearly = money_field()
    # Real transport costs that may go with a flat-rate allowance, kilometres a year.
    transport_km = models.PositiveIntegerField(default=2000)
    source = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("year",)

    def __str__(self) -> str:
        return f"caps {self.year}"


class AllowanceCapChange(models.Model):
    """A correction of a year's caps, kept: who changed what from which value, and why."""

    cap = models.ForeignKey(AllowanceCap, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(max_length=32)
    old_value = models.CharField(max_length=200)
    new_value = models.CharField(max_length=200)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.cap}: {self.field} {self.old_value} -> {self.new_value}"


class AllowancePolicy(models.Model):
    """What an organisation pays its volunteers. No row: no allowance."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="allowance_policy"
    )
    kind = models.CharField(max_length=16, choices=PolicyKind.choices, default=PolicyKind.NONE)
    flat_rate_amount = money_field(default=Decimal("0.00"))
    flat_rate_per = models.CharField(
        max_length=8, choices=FlatRatePer.choices, default=FlatRatePer.SHIFT
    )
    # Euros per kilometre for transport (0: transport is not paid).
    km_rate = models.DecimalField(max_digits=6, decimal_places=4, default=Decimal("0"))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.organisation}: {self.kind}"


class AllowanceEntry(models.Model):
    """One amount paid (or to pay) to a volunteer by an organisation, on a day."""

    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="allowance_entries"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="allowance_entries"
    )
    # The completed claim it is for (by name: the shifts app sits above this one).
    claim = models.ForeignKey(
        "shifts.Claim", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    day = models.DateField()
    regime = models.CharField(max_length=16, choices=Regime.choices)
    amount = money_field()
    km = models.DecimalField(max_digits=8, decimal_places=1, null=True, blank=True)
    higher_category = models.CharField(
        max_length=24, choices=HigherCapCategory.choices, blank=True, default=""
    )
    description = models.CharField(max_length=300, blank=True)
    # The entry this one corrects (it then no longer counts), and why.
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    reason = models.CharField(max_length=300, blank=True)
    # The amount the policy asked for, when the caps allowed less (automatic entries).
    asked_amount = money_field(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["volunteer", "day"], name="allowance_volunteer_day"),
            models.Index(fields=["organisation", "day"], name="allowance_organisation_day"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="allowance_amount_positive"),
            # One automatic entry per claim and regime (a correction replaces it).
            models.UniqueConstraint(
                fields=["claim", "regime"],
                condition=Q(claim__isnull=False, replaces__isnull=True),
                name="allowance_one_per_claim",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} {self.day}: {self.amount} ({self.regime})"


class OutsideDeclaration(models.Model):
    """Amounts a volunteer received in a year from organisations that do not use Inzet: they
    count towards the same caps."""

    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="allowance_declarations"
    )
    year = models.PositiveSmallIntegerField()
    organisation_name = models.CharField(max_length=200)
    regime = models.CharField(max_length=16, choices=Regime.choices)
    amount = money_field(default=Decimal("0.00"))
    km = models.DecimalField(max_digits=8, decimal_places=1, null=True, blank=True)
    # A day for the daily cap, if the volunteer gives one.
    day = models.DateField(null=True, blank=True)
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="declaration_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} {self.year}: {self.amount} from {self.organisation_name}"

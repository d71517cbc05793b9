"""Reads of the cockpit's allowances page: the amounts corrections replaced, and the members
to choose from. A year's totals come from ``backend.allowances.services.year_totals_of``."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models.functions import Lower

from backend.allowances.models import AllowanceEntry
from backend.organisations.models import Membership, Organisation


def replaced_amounts(entries: Iterable[AllowanceEntry]) -> dict[int, Decimal]:
    """The amount each correction in ``entries`` replaced, by the correction's id. One query
    (none without corrections)."""
    replaces = {entry.replaces_id: entry.pk for entry in entries if entry.replaces_id}
    if not replaces:
        return {}
    return {
        replaces[pk]: amount
        for pk, amount in AllowanceEntry.objects.filter(pk__in=replaces).values_list("pk", "amount")
    }


def member_choices(*, organisation: Organisation) -> list[tuple[int, str]]:
    """The organisation's members as (user id, display name), by name. One query."""
    return list(
        Membership.objects.filter(organisation=organisation)
        .order_by(Lower("user__profile__display_name"), "pk")
        .values_list("user_id", "user__profile__display_name")
    )

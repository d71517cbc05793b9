"""The answer of ``GET /api/v1/me/suggestions/``: each shift as the shift list shows it, plus
why it is suggested."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from backend.api.serializers import ShiftSerializer
from backend.shifts.suggestions import Reason, Suggestion


class SuggestionSerializer(ShiftSerializer):
    """A suggested shift: the fields of the shift list and `reasons`."""

    # The context is the shift list's: the viewer's claims, the organisations they manage.

    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=[(r.value, r.value) for r in Reason]),
        help_text="Why it is suggested, in this order: `short` (at least half the seats "
        "are open), `soon` (starts within 48 hours), `qualified` (it asks qualifications you "
        "hold), `familiar` (a series or title you took before), `returning` (an organisation "
        "you took a shift for), `mode` (the mode you prefer).",
    )

    def to_representation(self, suggestion: Suggestion) -> dict[str, Any]:  # type: ignore[override]
        # A suggestion, not a shift: the shift's own answer, then the reasons.
        shown = super().to_representation(suggestion.shift)
        shown["reasons"] = [reason.value for reason in suggestion.reasons]
        return shown

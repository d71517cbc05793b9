"""Stand-in requests and swaps as the API shows them."""

from __future__ import annotations

from rest_framework import serializers

from backend.api.serializers import ShiftSerializer
from backend.shifts.models import StandInStatus, SwapStatus


class StandInRequestSerializer(serializers.Serializer):
    """A request for a stand-in, as the volunteer who asked sees it."""

    id = serializers.IntegerField()
    claim = serializers.IntegerField(source="claim_id")
    shift = serializers.IntegerField(source="shift_id")
    status = serializers.ChoiceField(
        choices=StandInStatus.choices,
        help_text="`open` until someone takes over (`taken`), you withdraw it (`withdrawn`), "
        "or your claim or the shift is cancelled or starts (`closed`).",
    )
    created_at = serializers.DateTimeField()
    waves = serializers.IntegerField(help_text="How many waves of volunteers were asked.")
    resolved_at = serializers.DateTimeField(allow_null=True)


class AskedStandInSerializer(serializers.Serializer):
    """A request you are asked to take over; accept it or say no thanks."""

    id = serializers.IntegerField(source="request.pk")
    asked_at = serializers.DateTimeField(source="ask.asked_at")
    shift = ShiftSerializer()


class SwapProposalSerializer(serializers.Serializer):
    shift = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text="The other shift (of the same organisation) you would take instead.",
    )


class SwapRequestSerializer(serializers.Serializer):
    """A swap offer, as the volunteer who proposed it sees it."""

    id = serializers.IntegerField()
    claim = serializers.IntegerField(source="proposer_claim_id")
    shift = serializers.IntegerField(
        source="partner_claim.shift_id", help_text="The shift you would take."
    )
    status = serializers.ChoiceField(choices=SwapStatus.choices)
    created_at = serializers.DateTimeField()


class SwapOfferSerializer(serializers.Serializer):
    """A swap offered to you: you would give up ``you_give`` and take ``you_take``."""

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    you_give = ShiftSerializer(source="partner_claim.shift")
    you_take = ShiftSerializer(source="proposer_claim.shift")

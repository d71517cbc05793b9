"""Belgian volunteer law in the API: the information note and its acknowledgements."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from backend.allowances.models import FlatRatePer, HigherCapCategory, PolicyKind, Regime
from backend.organisations.info_note import CARE_DECREE_FIELDS, NoteForReader
from backend.organisations.models import AckChannel, AllowanceKind, InfoNote, LegalForm


class InfoNoteWriteSerializer(serializers.Serializer):
    """A new version of the note (admins). The six items of art. 4 of the law of 3 July 2005;
    the agreement-note fields only count for an organisation under the Flemish care decree."""

    purpose = serializers.CharField(max_length=5000, help_text="The organisation's purpose.")
    legal_form = serializers.ChoiceField(choices=LegalForm.choices)
    responsible_person = serializers.CharField(
        max_length=200,
        allow_blank=True,
        default="",
        help_text="Required for a de facto association: who is responsible.",
    )
    insurer = serializers.CharField(
        max_length=200,
        allow_blank=True,
        default="",
        help_text="Civil-liability insurance: the insurer. With `policy_number`, needed to "
        "publish shifts unless the organisation switched that off.",
    )
    policy_number = serializers.CharField(max_length=100, allow_blank=True, default="")
    other_insurance = serializers.CharField(max_length=5000, allow_blank=True, default="")
    allowance_kind = serializers.ChoiceField(
        choices=AllowanceKind.choices, default=AllowanceKind.NONE
    )
    allowance_details = serializers.CharField(
        max_length=5000, allow_blank=True, default="", help_text="Which amounts, and when paid."
    )
    discretion = serializers.CharField(
        max_length=5000,
        allow_blank=True,
        default="",
        help_text="Discretion or professional secrecy (art. 458 of the Criminal Code).",
    )
    work_nature = serializers.CharField(max_length=5000, allow_blank=True, default="")
    duration_frequency = serializers.CharField(max_length=5000, allow_blank=True, default="")
    contact_person = serializers.CharField(max_length=200, allow_blank=True, default="")
    required_training = serializers.CharField(max_length=5000, allow_blank=True, default="")
    ending_cooperation = serializers.CharField(max_length=5000, allow_blank=True, default="")
    material = serializers.BooleanField(
        default=True,
        help_text="A material change asks every volunteer to acknowledge the new version "
        "before their next claim; false for a correction (a typo). The first version is "
        "always material.",
    )


class InfoNoteSerializer(InfoNoteWriteSerializer):
    """The current version, with what the reader acknowledged."""

    organisation = serializers.IntegerField(source="organisation_id")
    version = serializers.IntegerField()
    care_decree = serializers.BooleanField(
        help_text="The organisation falls under the Flemish care decree: the agreement-note "
        "fields apply."
    )
    created_at = serializers.DateTimeField()
    required_version = serializers.IntegerField(
        allow_null=True, help_text="The version a volunteer must have acknowledged to claim."
    )
    acknowledged_version = serializers.IntegerField(
        allow_null=True, help_text="The version you acknowledged last (null: never)."
    )
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    up_to_date = serializers.BooleanField(
        help_text="Your acknowledgement is enough to claim; if false, claims answer "
        "`info_note_required` until you acknowledge this version."
    )

    @staticmethod
    def of(reading: NoteForReader) -> dict[str, Any]:
        note: InfoNote = reading.note
        data = {name: getattr(note, name) for name in InfoNoteWriteSerializer._declared_fields}
        care = reading.organisation.care_decree
        if not care:
            data |= dict.fromkeys(CARE_DECREE_FIELDS, "")
        return InfoNoteSerializer(
            data
            | {
                "organisation_id": note.organisation_id,
                "version": note.version,
                "care_decree": care,
                "created_at": note.created_at,
                "required_version": reading.organisation.info_note_version,
                "acknowledged_version": reading.acknowledged_version,
                "acknowledged_at": reading.acknowledged_at,
                "up_to_date": reading.up_to_date,
            }
        ).data


class AcknowledgeSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1,
        help_text="The version you read (`version` of the GET); if a newer one was written "
        "since, the answer is `info_note_changed`.",
    )


class AcknowledgementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.IntegerField(source="user_id")
    display_name = serializers.CharField()
    version = serializers.IntegerField()
    channel = serializers.ChoiceField(choices=AckChannel.choices)
    acknowledged_at = serializers.DateTimeField()
    up_to_date = serializers.BooleanField(
        help_text="This version is at least the one volunteers must have acknowledged."
    )


# --- the volunteer allowance ------------------------------------------------------------------


class AllowancePolicySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PolicyKind.choices)
    flat_rate_amount = serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        min_value=Decimal("0"),
        help_text="Euros a completed shift (or day) earns with a flat-rate policy; at most the "
        "year's daily cap.",
    )
    flat_rate_per = serializers.ChoiceField(choices=FlatRatePer.choices)
    km_rate = serializers.DecimalField(
        max_digits=6,
        decimal_places=4,
        min_value=Decimal("0"),
        help_text="Euros per kilometre of transport (0: not paid).",
    )


class AllowancePolicyUpdateSerializer(AllowancePolicySerializer):
    kind = serializers.ChoiceField(choices=PolicyKind.choices, required=False)
    flat_rate_amount = serializers.DecimalField(
        max_digits=9, decimal_places=2, min_value=Decimal("0"), required=False
    )
    flat_rate_per = serializers.ChoiceField(choices=FlatRatePer.choices, required=False)
    km_rate = serializers.DecimalField(
        max_digits=6, decimal_places=4, min_value=Decimal("0"), required=False
    )


class CapSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    daily = serializers.DecimalField(max_digits=9, decimal_places=2)
    yearly = serializers.DecimalField(max_digits=9, decimal_places=2)
    higher_yearly = serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        help_text="Only for the activities the law names (a shift's `allowance_category`); "
        "only the part above `yearly` may come from them.",
    )
    transport_km = serializers.IntegerField(
        help_text="Kilometres of real transport costs that may go with flat-rate allowances."
    )
    # The publication the amounts come from. (Field names a Field attribute; DRF allows it.)
    source = serializers.CharField()  # type: ignore[assignment]


class EntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organisation = serializers.IntegerField(source="organisation_id")
    organisation_name = serializers.CharField(source="organisation.name")
    volunteer = serializers.IntegerField(source="volunteer_id")
    claim = serializers.IntegerField(source="claim_id", allow_null=True)
    day = serializers.DateField()
    regime = serializers.ChoiceField(choices=Regime.choices)
    amount = serializers.DecimalField(max_digits=9, decimal_places=2)
    km = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)
    higher_category = serializers.ChoiceField(choices=HigherCapCategory.choices)
    description = serializers.CharField()
    replaces = serializers.IntegerField(
        source="replaces_id", allow_null=True, help_text="The entry this one corrected."
    )
    reason = serializers.CharField()
    asked_amount = serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        allow_null=True,
        help_text="What the policy asked, when the caps allowed less.",
    )
    created_at = serializers.DateTimeField()


class MyAllowanceSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    regime = serializers.ChoiceField(choices=Regime.choices, allow_null=True)
    flat_rate = serializers.DecimalField(max_digits=9, decimal_places=2)
    real_costs = serializers.DecimalField(max_digits=9, decimal_places=2)
    transport = serializers.DecimalField(max_digits=9, decimal_places=2)
    transport_km = serializers.DecimalField(max_digits=9, decimal_places=1)
    cap = CapSerializer(allow_null=True)
    remaining = serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        allow_null=True,
        help_text="Flat-rate amounts still possible this year (null: no caps known for it).",
    )
    remaining_km = serializers.DecimalField(max_digits=9, decimal_places=1, allow_null=True)
    warning = serializers.BooleanField(help_text="At 80 % of the yearly cap or more.")
    entries = EntrySerializer(many=True)
    declarations = serializers.ListField(child=serializers.DictField())


class DeclarationSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    organisation_name = serializers.CharField(max_length=200)
    regime = serializers.ChoiceField(choices=Regime.choices)
    amount = serializers.DecimalField(
        max_digits=9, decimal_places=2, min_value=Decimal("0"), default=Decimal("0")
    )
    km = serializers.DecimalField(
        max_digits=8, decimal_places=1, min_value=Decimal("0"), required=False, allow_null=True
    )
    day = serializers.DateField(
        required=False, allow_null=True, help_text="For the daily cap, if you know it."
    )


class EntryWriteSerializer(serializers.Serializer):
    volunteer = serializers.IntegerField(min_value=1)
    day = serializers.DateField()
    regime = serializers.ChoiceField(choices=Regime.choices)
    amount = serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        allow_null=True,
        help_text="For transport, leave it out to pay `km` at the policy's rate.",
    )
    km = serializers.DecimalField(
        max_digits=8, decimal_places=1, min_value=Decimal("0"), required=False, allow_null=True
    )
    higher_category = serializers.ChoiceField(
        choices=HigherCapCategory.choices, default="", allow_blank=True
    )
    description = serializers.CharField(max_length=300, allow_blank=True, default="")


class EntryCorrectSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=9, decimal_places=2, min_value=Decimal("0"), required=False, allow_null=True
    )
    km = serializers.DecimalField(
        max_digits=8, decimal_places=1, min_value=Decimal("0"), required=False, allow_null=True
    )
    reason = serializers.CharField(max_length=300)


class ObjectionSerializer(serializers.Serializer):
    user = serializers.IntegerField(source="user_id")
    display_name = serializers.CharField()
    handed_in_on = serializers.DateField(help_text="The day the C45B was handed in.")
    objection_until = serializers.DateField(
        help_text="The last of the 12 working days in which the RVA may object."
    )

"""Belgian volunteer law in the API: the information note and its acknowledgements."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

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

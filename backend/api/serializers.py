"""Request and response shapes of the REST API.

Input serializers only validate types and ranges; every business rule is checked by the
services they hand their data to. Output serializers never run queries of their own: the
views prefetch what they render (list endpoints have a constant query count).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backend.accounts.benefits import benefit_advice
from backend.accounts.models import Benefit, Language, ModePreference, User, VolunteerProfile
from backend.allowances.models import HigherCapCategory
from backend.organisations.models import (
    Membership,
    Organisation,
    OrganisationKind,
    Qualification,
    Role,
    VolunteerQualification,
)
from backend.shifts.listing import ViewerClaim
from backend.shifts.models import Claim, ClaimStatus, Shift, ShiftMode, ShiftVisibility
from backend.shifts.selectors import WhereToGo, where_to_go

MAX_ID = 2**63 - 1


class IdField(serializers.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


# No time zone is further from UTC (Kiribati +14:00, Baker Island -12:00). Python accepts
# offsets up to a day and PostgreSQL up to 15:59, so a time further off is refused where it
# comes in, in a body or a query string, rather than failing in the database.
MAX_UTC_OFFSET = dt.timedelta(hours=14)
UTC_OFFSET_ERROR = _("The UTC offset must be between -14:00 and +14:00.")

# The dates the API takes: the figures' years. Far enough either way for any shift, and far
# from the ends of Python's dates (years 1 and 9999), which a time shown in an organisation's
# zone, or a week or series computed from a date, ran past (OverflowError: 500s).
FIRST_DAY = dt.date(1970, 1, 1)
LAST_DAY = dt.date(2200, 12, 31)
DATE_RANGE_ERROR = _("Dates must lie between the years 1970 and 2200.")


def utc_offset_in_range(value: dt.datetime) -> bool:
    offset = value.utcoffset()
    return offset is None or abs(offset) <= MAX_UTC_OFFSET


class DateTimeField(serializers.DateTimeField):
    """DRF's, refusing UTC offsets no time zone has and times outside the API's years."""

    default_error_messages = {"utc_offset": UTC_OFFSET_ERROR, "date_range": DATE_RANGE_ERROR}

    def to_internal_value(self, value: Any) -> dt.datetime:
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value)
            except ValueError:
                parsed = None  # DRF's own parsing reports it
            if parsed is not None and not utc_offset_in_range(parsed):
                self.fail("utc_offset")
            # Before DRF puts it in the current time zone: near year 1 that overflows.
            if parsed is not None and not FIRST_DAY <= parsed.date() <= LAST_DAY:
                self.fail("date_range")
        return super().to_internal_value(value)


class DateField(serializers.DateField):
    """DRF's, refusing dates outside the API's years."""

    default_error_messages = {"date_range": DATE_RANGE_ERROR}

    def to_internal_value(self, value: Any) -> dt.date:
        result: dt.date = super().to_internal_value(value)
        if not FIRST_DAY <= result <= LAST_DAY:
            self.fail("date_range")
        return result


# --- auth and me -----------------------------------------------------------------------------


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        write_only=True, max_length=128, style={"input_type": "password"}
    )
    display_name = serializers.CharField(max_length=100)
    language = serializers.ChoiceField(choices=Language.choices, default=Language.DUTCH)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            validate_password(attrs["password"], user=User(email=attrs["email"]))
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from None
        return attrs


class MembershipSummarySerializer(serializers.Serializer):
    organisation_id = serializers.IntegerField()
    organisation_name = serializers.CharField(source="organisation.name")
    organisation_slug = serializers.CharField(source="organisation.slug")
    role = serializers.ChoiceField(choices=Role.choices)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.id", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True, allow_null=True)
    display_name = serializers.CharField(max_length=100)
    language = serializers.ChoiceField(choices=Language.choices)
    phone = serializers.CharField(max_length=32, allow_blank=True)
    mode_preference = serializers.ChoiceField(choices=ModePreference.choices)
    postcode = serializers.CharField(max_length=64, allow_blank=True)
    birth_date = DateField(
        allow_null=True,
        required=False,
        help_text="Asked when an organisation or a shift has an age rule (claims answer "
        "`birth_date_required` without it). Volunteers must be 16 on the shift's day, or 15 "
        "with `school_attestation`.",
    )
    school_attestation = serializers.BooleanField(
        required=False,
        help_text="The first two years of secondary school are completed (lets a 15-year-old "
        "volunteer).",
    )
    stand_in_requests = serializers.BooleanField(
        required=False,
        help_text="Asked to take over when another volunteer cannot come (on by default).",
    )
    help_now_alerts = serializers.BooleanField(
        required=False,
        help_text="'Help now' offers: a shift starting within 3 hours that is still short, in "
        "your mode (on site: near the postcode of your profile), at most 3 a day and not at "
        "night (off by default).",
    )
    weekly_digest = serializers.BooleanField(
        required=False,
        help_text="A weekly digest, on Monday morning, of the new shifts you could claim (off "
        "by default).",
    )
    benefit = serializers.ChoiceField(
        choices=Benefit.choices,
        allow_blank=True,
        required=False,
        help_text="A benefit you receive, if you want Inzet to help with what to declare: "
        "only this and the C45B date are kept.",
    )
    c45b_handed_in_on = DateField(
        allow_null=True,
        required=False,
        help_text="Unemployment benefit: the day you handed in the C45B declaration (the RVA "
        "may object within 12 working days).",
    )
    benefit_advice = serializers.SerializerMethodField()
    consent_at = serializers.DateTimeField(read_only=True, allow_null=True)
    telegram_linked = serializers.SerializerMethodField()
    memberships = serializers.SerializerMethodField()

    def get_benefit_advice(self, profile: VolunteerProfile) -> str:
        """What to do about the benefit (in your language; empty without one)."""
        return benefit_advice(profile.benefit)

    def get_telegram_linked(self, profile: VolunteerProfile) -> bool:
        return profile.telegram_chat_id is not None

    @extend_schema_field(MembershipSummarySerializer(many=True))
    def get_memberships(self, profile: VolunteerProfile) -> list[dict[str, Any]]:
        memberships = profile.user.memberships.select_related("organisation").order_by(
            "organisation__name"
        )
        return MembershipSummarySerializer(memberships, many=True).data  # type: ignore[return-value]


# --- organisations ---------------------------------------------------------------------------


class OrganisationSerializer(serializers.ModelSerializer):
    my_role = serializers.SerializerMethodField()

    class Meta:
        model = Organisation
        fields = (
            "id",
            "name",
            "slug",
            "time_zone",
            "kind",
            "no_show_limit",
            "stand_in_deadline_hours",
            "care_decree",
            "publish_requires_insurance",
            "requires_birth_date",
            "info_note_version",
            "public_page_enabled",
            "public_description",
            "created_at",
            "my_role",
        )
        read_only_fields = (
            "id",
            "no_show_limit",
            "stand_in_deadline_hours",
            "care_decree",
            "publish_requires_insurance",
            "requires_birth_date",
            "info_note_version",
            "public_page_enabled",
            "public_description",
            "created_at",
            "my_role",
        )

    @extend_schema_field(serializers.ChoiceField(choices=Role.choices, allow_null=True))
    def get_my_role(self, organisation: Organisation) -> str | None:
        roles: dict[int, str] = self.context.get("roles", {})
        return roles.get(organisation.pk)


class OrganisationCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=80, required=False)
    time_zone = serializers.CharField(max_length=64, default="Europe/Brussels")
    kind = serializers.ChoiceField(
        choices=OrganisationKind.choices, default=OrganisationKind.VOLUNTEER_ORGANISATION
    )


class OrganisationUpdateSerializer(serializers.Serializer):
    no_show_limit = serializers.IntegerField(
        min_value=1,
        max_value=20,
        required=False,
        help_text="No-shows after which a volunteer can no longer claim until a coordinator "
        "clears it (admins only).",
    )
    stand_in_deadline_hours = serializers.IntegerField(
        min_value=0,
        max_value=14 * 24,
        required=False,
        help_text="Until how many hours before the start a volunteer may ask for a stand-in "
        "(72 by default; after it, the normal cancellation applies).",
    )
    care_decree = serializers.BooleanField(
        required=False,
        help_text="The organisation falls under the Flemish care decree (vrijwilligerswerk in "
        "de zorg): its information note also holds the agreement note.",
    )
    publish_requires_insurance = serializers.BooleanField(
        required=False,
        help_text="Shifts are published only once the information note names the "
        "civil-liability insurance (on for new organisations; off e.g. for an informal group "
        "covered by an umbrella body).",
    )
    requires_birth_date = serializers.BooleanField(
        required=False,
        help_text="Volunteers give their date of birth before claiming this organisation's "
        "shifts (the age rules: 16, or 15 with the school attestation).",
    )
    public_page_enabled = serializers.BooleanField(
        required=False,
        help_text="The public page /o/<slug>/ (no log-in): the description, the upcoming "
        "public shifts and a Join via Telegram button.",
    )
    public_description = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="Shown on the public page."
    )


class JoinSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    birth_date = DateField(
        required=False,
        help_text="Your date of birth, saved on your profile: an organisation with "
        "`requires_birth_date` asks for it before your first claim (ask it at sign-up).",
    )


class MembershipSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(read_only=True)
    display_name = serializers.CharField(source="user.profile.display_name", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True, allow_null=True)

    class Meta:
        model = Membership
        fields = ("id", "user_id", "display_name", "email", "role", "joined_at")
        read_only_fields = ("id", "user_id", "display_name", "email", "joined_at")


class MembershipRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class InviteSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.VOLUNTEER)
    valid_days = serializers.IntegerField(min_value=1, max_value=365, default=30, write_only=True)
    # null: no limit.
    max_uses = serializers.IntegerField(
        min_value=1, max_value=100_000, required=False, allow_null=True
    )
    expires_at = serializers.DateTimeField(read_only=True)
    uses = serializers.IntegerField(read_only=True)


class QualificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Qualification
        fields = ("id", "name", "description")
        read_only_fields = ("id",)


class HolderSerializer(serializers.ModelSerializer):
    user_id = IdField()
    expires_on = DateField(allow_null=True, required=False)
    display_name = serializers.CharField(source="user.profile.display_name", read_only=True)

    class Meta:
        model = VolunteerQualification
        fields = ("user_id", "display_name", "expires_on", "confirmed_at")
        read_only_fields = ("display_name", "confirmed_at")


# --- shifts and claims -----------------------------------------------------------------------


class ClaimBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    waitlist_position = serializers.IntegerField(allow_null=True)


class ShiftSerializer(serializers.Serializer):
    """A shift as a volunteer or coordinator sees it.

    The meeting link of an online shift is only shown to volunteers with a confirmed claim and
    to the organisation's coordinators; ``context["claims"]`` maps shift id -> the viewer's
    claim, ``context["managed"]`` is the set of organisation ids the viewer manages.
    """

    id = serializers.IntegerField()
    organisation = serializers.IntegerField(source="organisation_id")
    organisation_name = serializers.CharField(source="organisation.name")
    title = serializers.CharField()
    description = serializers.CharField()
    mode = serializers.ChoiceField(choices=ShiftMode.choices)
    address = serializers.SerializerMethodField()
    meeting_link = serializers.SerializerMethodField()
    time_zone = serializers.CharField(source="organisation.time_zone")
    starts_at = serializers.SerializerMethodField()
    ends_at = serializers.SerializerMethodField()
    capacity = serializers.IntegerField()
    confirmed_count = serializers.IntegerField()
    waitlist_count = serializers.IntegerField()
    seats_left = serializers.IntegerField()
    waitlist_enabled = serializers.BooleanField()
    cancellation_deadline_hours = serializers.IntegerField()
    visibility = serializers.ChoiceField(choices=ShiftVisibility.choices)
    status = serializers.CharField()
    claims_open_at = serializers.SerializerMethodField()
    min_age = serializers.IntegerField(
        allow_null=True,
        help_text="The shift's own minimum age on its day, above the law's (16, or 15 with "
        "the school attestation; claims are refused with `too_young`).",
    )
    allowance_category = serializers.ChoiceField(
        choices=HigherCapCategory.choices,
        help_text="An activity of the higher yearly allowance cap the law names (empty: none).",
    )
    series = serializers.IntegerField(source="series_id", allow_null=True)
    required_qualifications = serializers.SerializerMethodField()
    my_claim = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_claims_open_at(self, shift: Shift) -> str | None:
        """Claims are refused (``claims_not_open``) before this moment."""
        if shift.claims_open_at is None:
            return None
        return shift.claims_open_at.astimezone(ZoneInfo(shift.organisation.time_zone)).isoformat()

    @extend_schema_field(serializers.DateTimeField())
    def get_starts_at(self, shift: Shift) -> str:
        return shift.starts_at.astimezone(ZoneInfo(shift.organisation.time_zone)).isoformat()

    @extend_schema_field(serializers.DateTimeField())
    def get_ends_at(self, shift: Shift) -> str:
        return shift.ends_at.astimezone(ZoneInfo(shift.organisation.time_zone)).isoformat()

    def _where(self, shift: Shift) -> WhereToGo:
        claim: ViewerClaim | None = self.context.get("claims", {}).get(shift.pk)
        return where_to_go(
            shift,
            claim_status=claim.status if claim is not None else None,
            manages=shift.organisation_id in self.context.get("managed", set()),
        )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_address(self, shift: Shift) -> str | None:
        """Shown to the organisation's coordinators and to volunteers whose claim is
        confirmed; null for everyone else."""
        return self._where(shift).address

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_meeting_link(self, shift: Shift) -> str | None:
        """Like ``address``: coordinators and confirmed volunteers only."""
        return self._where(shift).meeting_link

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_required_qualifications(self, shift: Shift) -> list[int]:
        # A list view reads them for the whole page at once (context "qualification_ids").
        known: dict[int, list[int]] | None = self.context.get("qualification_ids")
        if known is not None and shift.pk in known:
            return known[shift.pk]
        return sorted(q.pk for q in shift.required_qualifications.all())

    def to_representation(self, shift: Shift) -> dict[str, Any]:
        """By hand rather than field by field: the same keys and values as the declared
        fields give (they describe the answer in the schema, and a test compares the two),
        for a fraction of DRF's per-field cost on a page of the shift list."""
        organisation = shift.organisation
        zone = ZoneInfo(organisation.time_zone)
        where = self._where(shift)
        opens = shift.claims_open_at
        return {
            "id": shift.pk,
            "organisation": shift.organisation_id,
            "organisation_name": organisation.name,
            "title": shift.title,
            "description": shift.description,
            "mode": shift.mode,
            "address": where.address,
            "meeting_link": where.meeting_link,
            "time_zone": organisation.time_zone,
            "starts_at": shift.starts_at.astimezone(zone).isoformat(),
            "ends_at": shift.ends_at.astimezone(zone).isoformat(),
            "capacity": shift.capacity,
            "confirmed_count": shift.confirmed_count,
            "waitlist_count": shift.waitlist_count,
            "seats_left": shift.seats_left,
            "waitlist_enabled": shift.waitlist_enabled,
            "cancellation_deadline_hours": shift.cancellation_deadline_hours,
            "visibility": shift.visibility,
            "status": shift.status,
            "claims_open_at": opens.astimezone(zone).isoformat() if opens is not None else None,
            "min_age": shift.min_age,
            "allowance_category": shift.allowance_category,
            "series": shift.series_id,
            "required_qualifications": self.get_required_qualifications(shift),
            "my_claim": self.get_my_claim(shift),
        }

    @extend_schema_field(ClaimBriefSerializer(allow_null=True))
    def get_my_claim(self, shift: Shift) -> dict[str, Any] | None:
        claim: ViewerClaim | None = self.context.get("claims", {}).get(shift.pk)
        if claim is None:
            return None
        positions: dict[int, int] = self.context.get("positions", {})
        return {
            "id": claim.pk,
            "status": claim.status,
            "waitlist_position": positions.get(claim.pk),
        }


MIN_AGE_HELP = (
    "A minimum age above the law's (e.g. 18 for care at home); volunteers then give their "
    "date of birth before claiming."
)


class ShiftWriteSerializer(serializers.Serializer):
    """Fields a coordinator may set. Counters, status and (after creation) the organisation
    are not writable."""

    organisation = IdField()
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, default="")
    mode = serializers.ChoiceField(choices=ShiftMode.choices, default=ShiftMode.ON_SITE)
    address = serializers.CharField(max_length=300, allow_blank=True, default="")
    meeting_link = serializers.URLField(max_length=500, allow_blank=True, default="")
    starts_at = DateTimeField()
    ends_at = DateTimeField()
    capacity = serializers.IntegerField(min_value=1, max_value=500)
    waitlist_enabled = serializers.BooleanField(default=True)
    cancellation_deadline_hours = serializers.IntegerField(min_value=0, max_value=336, default=24)
    visibility = serializers.ChoiceField(
        choices=ShiftVisibility.choices, default=ShiftVisibility.MEMBERS
    )
    required_qualifications = serializers.ListField(child=IdField(), default=list, max_length=50)
    claims_open_at = DateTimeField(allow_null=True, required=False)
    min_age = serializers.IntegerField(
        min_value=16, max_value=99, allow_null=True, required=False, help_text=MIN_AGE_HELP
    )
    allowance_category = serializers.ChoiceField(
        choices=HigherCapCategory.choices, allow_blank=True, required=False
    )
    publish = serializers.BooleanField(default=False, write_only=True)


class ShiftUpdateSerializer(ShiftWriteSerializer):
    organisation = None  # type: ignore[assignment]
    publish = None  # type: ignore[assignment]


class ClaimSerializer(serializers.Serializer):
    """A claim as its volunteer sees it. Where to go (address or meeting link) is revealed
    once the claim is confirmed."""

    id = serializers.IntegerField()
    shift = serializers.IntegerField(source="shift_id")
    shift_title = serializers.CharField(source="shift.title")
    starts_at = serializers.SerializerMethodField()
    ends_at = serializers.SerializerMethodField()
    mode = serializers.CharField(source="shift.mode")
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    waitlist_position = serializers.SerializerMethodField()
    address = serializers.SerializerMethodField()
    meeting_link = serializers.SerializerMethodField()
    late_cancellation = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    promoted_at = serializers.DateTimeField(allow_null=True)

    def _tz(self, claim: Claim) -> ZoneInfo:
        return ZoneInfo(claim.shift.organisation.time_zone)

    @extend_schema_field(serializers.DateTimeField())
    def get_starts_at(self, claim: Claim) -> str:
        return claim.shift.starts_at.astimezone(self._tz(claim)).isoformat()

    @extend_schema_field(serializers.DateTimeField())
    def get_ends_at(self, claim: Claim) -> str:
        return claim.shift.ends_at.astimezone(self._tz(claim)).isoformat()

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_waitlist_position(self, claim: Claim) -> int | None:
        positions: dict[int, int] = self.context.get("positions", {})
        return positions.get(claim.pk)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_address(self, claim: Claim) -> str | None:
        return where_to_go(claim.shift, claim_status=claim.status, manages=False).address

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_meeting_link(self, claim: Claim) -> str | None:
        return where_to_go(claim.shift, claim_status=claim.status, manages=False).meeting_link


class ShiftClaimSerializer(serializers.Serializer):
    """A claim on a coordinator's list of a shift's claims."""

    id = serializers.IntegerField()
    volunteer_id = serializers.IntegerField()
    display_name = serializers.CharField(source="volunteer.profile.display_name")
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    waitlist_position = serializers.SerializerMethodField()
    late_cancellation = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    checked_in_at = serializers.DateTimeField(allow_null=True)
    checked_out_at = serializers.DateTimeField(allow_null=True)
    phone = serializers.SerializerMethodField()

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_waitlist_position(self, claim: Claim) -> int | None:
        positions: dict[int, int] = self.context.get("positions", {})
        return positions.get(claim.pk)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_phone(self, claim: Claim) -> str | None:
        """Coordinators see a phone number only of volunteers holding a claim on their shift
        (not after it was cancelled); the members list never shows it."""
        if claim.status == ClaimStatus.CANCELLED:
            return None
        return claim.volunteer.profile.phone or None

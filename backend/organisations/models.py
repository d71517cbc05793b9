"""Organisations, their members, invite codes and qualifications."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    VOLUNTEER_ORGANISATION = "volunteer_organisation", _("autonomous volunteer organisation")
    CARE_FACILITY = "care_facility", _("care facility")


class Organisation(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    time_zone = models.CharField(max_length=64, default="Europe/Brussels")
    kind = models.CharField(
        max_length=32,
        choices=OrganisationKind.choices,
        default=OrganisationKind.VOLUNTEER_ORGANISATION,
    )
    # After this many no-shows (since a coordinator last cleared them) a volunteer can no
    # longer claim this organisation's shifts.
    no_show_limit = models.PositiveSmallIntegerField(default=2)
    # A volunteer may ask for a stand-in until this many hours before the start; after it the
    # normal cancellation applies (backend/shifts/services/stand_ins.py).
    stand_in_deadline_hours = models.PositiveIntegerField(
        _("stand-ins until (hours before the start)"), default=72
    )
    # Belgian volunteer law (backend/organisations/info_note.py). Under the Flemish care decree
    # (vrijwilligerswerk in de zorg) the information note also holds an agreement note.
    care_decree = models.BooleanField(default=False)
    # Shifts can only be published once the information note names the civil-liability
    # insurance; admins can switch this off (an informal group covered by an umbrella body).
    publish_requires_insurance = models.BooleanField(default=True)
    # Volunteers give their date of birth before claiming this organisation's shifts.
    requires_birth_date = models.BooleanField(default=False)
    # The version of the information note a volunteer must have acknowledged (the latest
    # material one) before claiming; None while the organisation has no note.
    info_note_version = models.PositiveIntegerField(null=True, blank=True)
    # The public page /o/<slug>/ (backend/board/views/public.py): on or off, the text it
    # shows, and the invite its "Join via Telegram" button and QR code carry.
    public_page_enabled = models.BooleanField(default=False)
    public_description = models.TextField(blank=True)
    public_invite = models.ForeignKey(
        "InviteCode", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    VOLUNTEER = "volunteer", _("volunteer")
    COORDINATOR = "coordinator", _("coordinator")
    ADMIN = "admin", _("admin")


# Roles that may manage shifts, members and qualifications of an organisation.
MANAGER_ROLES = (Role.COORDINATOR, Role.ADMIN)


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VOLUNTEER)
    joined_at = models.DateTimeField(auto_now_add=True)
    # No-shows since a coordinator last cleared them; at the organisation's limit, claims are
    # blocked (``claims_blocked_at``) until a coordinator clears it.
    no_show_count = models.PositiveIntegerField(default=0)
    claims_blocked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation} ({self.role})"


class PastMembership(models.Model):
    """A membership that ended (the person left, was removed or erased their account).

    A Membership row means "member now", which every permission check relies on; when it ends
    it moves here with its dates, so figures for any past year (members on 31 December, new
    and stopped volunteers) are computed from history rather than from today's state.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="past_memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="past_memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    joined_at = models.DateTimeField()
    ended_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "ended_at"], name="past_membership_org_end"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__gte=models.F("joined_at")),
                name="past_membership_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} was in {self.organisation} until {self.ended_at:%Y-%m-%d}"


class MembershipRoleChange(models.Model):
    """A member's role changed (``membership_set_role``): the figures count volunteers by the
    role they had on 31 December, so a volunteer promoted to coordinator later still counts
    in earlier years. Keyed by person and organisation, not by Membership, so the history
    outlives the membership (which moves to PastMembership when it ends)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_changes"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="role_changes"
    )
    from_role = models.CharField(max_length=16, choices=Role.choices)
    to_role = models.CharField(max_length=16, choices=Role.choices)
    changed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(
                fields=["organisation", "user", "changed_at"], name="role_change_org_user_at"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation}: {self.from_role} -> {self.to_role}"


class InviteCode(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invite_codes"
    )
    code = models.CharField(max_length=32, unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VOLUNTEER)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    uses = models.PositiveIntegerField(default=0)
    revoked = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.organisation}: {self.role}"


class Qualification(models.Model):
    """An entry in one organisation's catalogue, e.g. first aid or helpline training."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="qualifications"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="qualification_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class VolunteerQualification(models.Model):
    """A qualification held by a volunteer, confirmed by a coordinator, maybe expiring."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="qualifications"
    )
    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="holders"
    )
    expires_on = models.DateField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "qualification"], name="volunteer_qualification_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} holds {self.qualification}"

    def valid_on(self, day: dt.date) -> bool:
        return self.expires_on is None or self.expires_on >= day

    @staticmethod
    def valid_on_q(day: dt.date) -> Q:
        return Q(expires_on__isnull=True) | Q(expires_on__gte=day)


class LegalForm(models.TextChoices):
    NON_PROFIT = "non_profit", _("non-profit association (vzw)")
    FOUNDATION = "foundation", _("foundation")
    PUBLIC_BODY = "public_body", _("public body")
    DE_FACTO = "de_facto", _("de facto association")
    OTHER = "other", _("other")


class AllowanceKind(models.TextChoices):
    NONE = "none", _("no allowance")
    FLAT_RATE = "flat_rate", _("flat-rate allowance")
    REAL_COSTS = "real_costs", _("real costs")


class InfoNote(models.Model):
    """One version of an organisation's information note (informatienota, art. 4 of the law
    of 3 July 2005 on the rights of volunteers): what a volunteer must be told before their
    first shift. Versions are never changed; a change is a new version. A ``material`` one
    asks every volunteer to acknowledge it again before their next claim
    (``Organisation.info_note_version``); a typo fix does not."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="info_notes"
    )
    version = models.PositiveIntegerField()
    material = models.BooleanField(default=True)
    # The six items the law names.
    purpose = models.TextField()
    legal_form = models.CharField(max_length=16, choices=LegalForm.choices)
    # For a de facto association: who is responsible.
    responsible_person = models.CharField(max_length=200, blank=True)
    insurer = models.CharField(max_length=200, blank=True)
    policy_number = models.CharField(max_length=100, blank=True)
    other_insurance = models.TextField(blank=True)
    allowance_kind = models.CharField(
        max_length=16, choices=AllowanceKind.choices, default=AllowanceKind.NONE
    )
    # Which allowance, how much and when it is paid.
    allowance_details = models.TextField(blank=True)
    # Discretion or professional secrecy (art. 458 of the Criminal Code).
    discretion = models.TextField(blank=True)
    # The agreement note of the Flemish care decree (when the organisation falls under it).
    work_nature = models.TextField(blank=True)
    duration_frequency = models.TextField(blank=True)
    contact_person = models.CharField(max_length=200, blank=True)
    required_training = models.TextField(blank=True)
    ending_cooperation = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "version"], name="info_note_version"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: information note v{self.version}"

    @property
    def insured(self) -> bool:
        return bool(self.insurer.strip() and self.policy_number.strip())


class AckChannel(models.TextChoices):
    BOT = "bot", _("Telegram bot")
    APP = "app", _("app")
    WEB = "web", _("web")


class InfoNoteAcknowledgement(models.Model):
    """Proof that a volunteer read a version of the note: when, which version, through which
    channel. Kept per person and organisation (not per membership): a volunteer of a public
    shift acknowledges without being a member."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="info_note_acks"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="info_note_acks"
    )
    note = models.ForeignKey(InfoNote, on_delete=models.CASCADE, related_name="acknowledgements")
    version = models.PositiveIntegerField()
    channel = models.CharField(max_length=8, choices=AckChannel.choices)
    acknowledged_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "note"], name="info_note_ack_unique"),
        ]
        indexes = [
            models.Index(fields=["user", "organisation", "version"], name="info_note_ack_lookup"),
        ]

    def __str__(self) -> str:
        return f"{self.user} read {self.note}"

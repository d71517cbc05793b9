"""The information note (informatienota) of Belgian volunteer law: art. 4 of the law of 3 July
2005 on the rights of volunteers says what an organisation tells a volunteer before their
first engagement. Here an organisation's admins write it (each change a new version), a
volunteer acknowledges the current version before their first claim (``claim_create`` refuses
with ``info_note_required`` until then), and coordinators see who acknowledged which version.

A version marked ``material`` asks everyone to acknowledge again before their next claim; a
typo fix (not material) does not. ``Organisation.info_note_version`` holds the version that
must have been acknowledged, so the claim path reads it with the shift's organisation.

Publishing shifts asks for the civil-liability insurance in the note
(``require_publishable``), unless an admin switched that off for the organisation.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backend.accounts.models import User
from backend.core.errors import (
    InfoNoteChanged,
    InfoNoteIncomplete,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from backend.core.spreadsheet import safe_cell
from backend.organisations.models import (
    AckChannel,
    AllowanceKind,
    InfoNote,
    InfoNoteAcknowledgement,
    LegalForm,
    Membership,
    Organisation,
)
from backend.organisations.selectors import may_administer, may_manage, membership_role

# The fields of a version, as the admins write them (the API, the board's form and the demo).
LAW_FIELDS = (
    "purpose",
    "legal_form",
    "responsible_person",
    "insurer",
    "policy_number",
    "other_insurance",
    "allowance_kind",
    "allowance_details",
    "discretion",
)
# The agreement note of the Flemish care decree, for organisations that fall under it.
CARE_DECREE_FIELDS = (
    "work_nature",
    "duration_frequency",
    "contact_person",
    "required_training",
    "ending_cooperation",
)
NOTE_FIELDS = LAW_FIELDS + CARE_DECREE_FIELDS
TEXT_MAX_LENGTH = 5000


def current_note(organisation_id: int) -> InfoNote | None:
    return InfoNote.objects.filter(organisation_id=organisation_id).order_by("-version").first()


def _may_read(user: User, organisation_id: int, now: dt.datetime) -> bool:
    """Members and managers read the note, and so does anyone who may claim one of the
    organisation's public shifts (published, not started): they acknowledge it first."""
    if not user.is_active:
        return False
    if may_manage(user=user, organisation_id=organisation_id):
        return True
    if Membership.objects.filter(user_id=user.pk, organisation_id=organisation_id).exists():
        return True
    # The shifts app sits above this one (import-linter's layers), hence the names as text:
    # ShiftVisibility.PUBLIC and ShiftStatus.PUBLISHED.
    return Organisation.objects.filter(
        pk=organisation_id,
        shifts__visibility="public",
        shifts__status="published",
        shifts__starts_at__gt=now,
    ).exists()


@dataclass(frozen=True)
class NoteForReader:
    note: InfoNote
    organisation: Organisation
    # The version this reader acknowledged last (None: never), and whether it is enough to
    # claim (at least the organisation's required version).
    acknowledged_version: int | None
    acknowledged_at: dt.datetime | None
    up_to_date: bool


def info_note_read(*, user: User, organisation_id: int) -> NoteForReader:
    """The current version for ``user``, with what they acknowledged; NotFound for those who
    may not read it and while the organisation has none."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None or not _may_read(user, organisation_id, timezone.now()):
        raise NotFound()
    note = current_note(organisation_id)
    if note is None:
        raise NotFound(_("This organisation has no information note yet."))
    last = (
        InfoNoteAcknowledgement.objects.filter(user_id=user.pk, organisation_id=organisation_id)
        .order_by("-version")
        .first()
    )
    required = organisation.info_note_version
    return NoteForReader(
        note=note,
        organisation=organisation,
        acknowledged_version=last.version if last else None,
        acknowledged_at=last.acknowledged_at if last else None,
        up_to_date=last is not None and required is not None and last.version >= required,
    )


def _clean(organisation: Organisation, values: Mapping[str, Any]) -> dict[str, str]:
    """The note's fields, stripped and checked; every problem reported at once."""
    fields = {name: str(values.get(name) or "").strip() for name in NOTE_FIELDS}
    if not fields["allowance_kind"]:
        fields["allowance_kind"] = AllowanceKind.NONE
    errors: dict[str, list[str]] = {}
    required = ["purpose", "legal_form"]
    if fields["legal_form"] == LegalForm.DE_FACTO:
        required.append("responsible_person")
    if organisation.care_decree:
        required += ["work_nature", "contact_person"]
    for name in required:
        if not fields[name]:
            errors[name] = [_("This field is required.")]
    if fields["legal_form"] and fields["legal_form"] not in LegalForm.values:
        errors["legal_form"] = [_("Choose one of the legal forms offered.")]
    if fields["allowance_kind"] not in AllowanceKind.values:
        errors["allowance_kind"] = [_("Choose one of the allowance kinds offered.")]
    for name, value in fields.items():
        field = InfoNote._meta.get_field(name)
        limit = getattr(field, "max_length", None) or TEXT_MAX_LENGTH
        if len(value) > limit and name not in errors:
            errors[name] = [
                ngettext(
                    "Use at most %(count)s character.", "Use at most %(count)s characters.", limit
                )
                % {"count": limit}
            ]
    if errors:
        raise ValidationFailed(fields=errors)
    if not organisation.care_decree:
        for name in CARE_DECREE_FIELDS:
            fields[name] = ""
    return fields


@transaction.atomic
def info_note_write(
    *, actor: User, organisation_id: int, material: bool = True, **values: Any
) -> InfoNote:
    """A new version of the note (admins of the organisation, and staff). The first version
    is always material. Unknown keyword arguments are a programming error."""
    unknown = set(values) - set(NOTE_FIELDS)
    if unknown:
        raise TypeError(f"unknown information note fields: {sorted(unknown)}")
    organisation = Organisation.objects.select_for_update().filter(pk=organisation_id).first()
    if organisation is None or not actor.is_active:
        raise NotFound()
    if not actor.is_staff and membership_role(user=actor, organisation_id=organisation_id) is None:
        raise NotFound()  # outsiders do not learn the organisation exists
    if not may_administer(user=actor, organisation_id=organisation_id):
        raise PermissionDenied(_("Only admins can change the information note."))
    fields = _clean(organisation, values)
    last = InfoNote.objects.filter(organisation=organisation).aggregate(v=Max("version"))["v"]
    version = (last or 0) + 1
    material = material or last is None
    note = InfoNote.objects.create(
        organisation=organisation,
        version=version,
        material=material,
        created_by=actor,
        **fields,
    )
    if material:
        organisation.info_note_version = version
        organisation.save(update_fields=["info_note_version"])
    return note


def info_note_acknowledge(
    *, user: User, organisation_id: int, version: int, channel: str
) -> InfoNoteAcknowledgement:
    """Record that ``user`` read ``version``, which must be the current one
    (``info_note_changed`` otherwise). Acknowledging again returns the first record."""
    if channel not in AckChannel.values:
        raise ValueError(f"unknown channel {channel!r}")
    reading = info_note_read(user=user, organisation_id=organisation_id)
    if reading.note.version != version:
        raise InfoNoteChanged()
    existing = InfoNoteAcknowledgement.objects.filter(user_id=user.pk, note=reading.note).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return InfoNoteAcknowledgement.objects.create(
                user=user,
                organisation_id=organisation_id,
                note=reading.note,
                version=version,
                channel=channel,
                acknowledged_at=timezone.now(),
            )
    except IntegrityError:
        # The same person's second tap, committed between our read and our insert.
        return InfoNoteAcknowledgement.objects.get(user_id=user.pk, note=reading.note)


@dataclass(frozen=True)
class ReaderStatus:
    """One member on the coordinators' list: the version they acknowledged last."""

    user_id: int
    display_name: str
    role: str
    version: int | None
    channel: str
    acknowledged_at: dt.datetime | None
    up_to_date: bool


def info_note_readers(*, actor: User, organisation_id: int) -> list[ReaderStatus]:
    """Every member (and every non-member who acknowledged, e.g. for a public shift) with the
    version they acknowledged last, those who must still acknowledge first; two queries."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None or not may_manage(user=actor, organisation_id=organisation_id):
        raise NotFound()
    required = organisation.info_note_version
    last: dict[int, InfoNoteAcknowledgement] = {}
    for ack in (
        InfoNoteAcknowledgement.objects.filter(organisation_id=organisation_id)
        .select_related("user__profile")
        .order_by("user_id", "version")
    ):
        last[ack.user_id] = ack
    members = Membership.objects.filter(organisation_id=organisation_id).select_related(
        "user__profile"
    )
    rows: dict[int, ReaderStatus] = {}
    for membership in members:
        rows[membership.user_id] = _reader(
            membership.user, membership.role, last.get(membership.user_id), required
        )
    for user_id, latest in last.items():
        if user_id not in rows:
            rows[user_id] = _reader(latest.user, "", latest, required)
    return sorted(
        rows.values(),
        key=lambda r: (r.up_to_date, r.display_name.casefold(), r.user_id),
    )


def _reader(
    user: User, role: str, ack: InfoNoteAcknowledgement | None, required: int | None
) -> ReaderStatus:
    profile = getattr(user, "profile", None)
    return ReaderStatus(
        user_id=user.pk,
        display_name=(profile.display_name if profile else "") or str(user),
        role=role,
        version=ack.version if ack else None,
        channel=ack.channel if ack else "",
        acknowledged_at=ack.acknowledged_at if ack else None,
        up_to_date=ack is not None and required is not None and ack.version >= required,
    )


def info_note_acknowledgements(
    *, actor: User, organisation_id: int
) -> list[InfoNoteAcknowledgement]:
    """Every acknowledgement of the organisation, oldest first: the proof, for its files."""
    if not may_manage(user=actor, organisation_id=organisation_id):
        raise NotFound()
    return list(
        InfoNoteAcknowledgement.objects.filter(organisation_id=organisation_id)
        .select_related("user__profile")
        .order_by("acknowledged_at", "id")
    )


def require_publishable(organisation: Organisation) -> None:
    """Shifts of ``organisation`` may be published: its note names the civil-liability
    insurance, unless its admins switched the requirement off."""
    if not organisation.publish_requires_insurance:
        return
    note = current_note(organisation.pk)
    if note is None or not note.insured:
        raise InfoNoteIncomplete()


def acknowledgements_csv(rows: list[InfoNoteAcknowledgement], *, time_zone: str) -> bytes:
    """The proof as CSV (UTF-8): who acknowledged which version, when (local time), how."""
    zone = ZoneInfo(time_zone)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["user_id", "name", "email", "version", "channel", "acknowledged_at"])
    for ack in rows:
        profile = getattr(ack.user, "profile", None)
        writer.writerow(
            [
                ack.user_id,
                safe_cell(profile.display_name if profile else ""),
                safe_cell(ack.user.email or ""),
                ack.version,
                ack.channel,
                ack.acknowledged_at.astimezone(zone).isoformat(timespec="seconds"),
            ]
        )
    return out.getvalue().encode("utf-8")

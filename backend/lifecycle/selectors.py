"""Everything Inzet holds about a person, across the apps, for their data export."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from backend.accounts.models import User, VolunteerProfile
from backend.notifications.models import ClaimFeedback, Notification, ReminderSettings
from backend.organisations.models import (
    InfoNoteAcknowledgement,
    Membership,
    PastMembership,
    VolunteerQualification,
)
from backend.shifts.models import Claim
from backend.telegram.models import TelegramAccount


class PersonalData(TypedDict):
    exported_at: str
    account: dict[str, Any]
    profile: dict[str, Any]
    memberships: list[dict[str, Any]]
    past_memberships: list[dict[str, Any]]
    qualifications: list[dict[str, Any]]
    info_note_acknowledgements: list[dict[str, Any]]
    claims: list[dict[str, Any]]
    notifications: list[dict[str, Any]]
    follow_ups: list[dict[str, Any]]
    reminder_offsets_minutes: list[int] | None
    telegram: dict[str, Any] | None


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def personal_data_export(*, user: User, now: dt.datetime) -> PersonalData:
    """All personal data of ``user`` (GDPR art. 15 and 20), in a constant number of queries."""
    profile = VolunteerProfile.objects.filter(user=user).first()
    telegram = TelegramAccount.objects.filter(user=user).first()
    reminders = ReminderSettings.objects.filter(user=user).first()
    return {
        "exported_at": now.isoformat(),
        "account": {
            "id": user.pk,
            "email": user.email,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        },
        "profile": {
            "display_name": profile.display_name,
            "language": profile.language,
            "phone": profile.phone,
            "mode_preference": profile.mode_preference,
            "postcode": profile.postcode,
            "birth_date": _iso(profile.birth_date),
            "school_attestation": profile.school_attestation,
            "benefit": profile.benefit,
            "c45b_handed_in_on": _iso(profile.c45b_handed_in_on),
            "consent_at": _iso(profile.consent_at),
            "telegram_chat_id": profile.telegram_chat_id,
            "calendar_feed_enabled": profile.calendar_token is not None,
        }
        if profile is not None
        else {},
        "memberships": [
            {
                "organisation": m.organisation.name,
                "role": m.role,
                "joined_at": _iso(m.joined_at),
                "no_show_count": m.no_show_count,
                "claims_blocked_at": _iso(m.claims_blocked_at),
            }
            for m in Membership.objects.filter(user=user).select_related("organisation")
        ],
        "past_memberships": [
            {
                "organisation": m.organisation.name,
                "role": m.role,
                "joined_at": _iso(m.joined_at),
                "ended_at": _iso(m.ended_at),
            }
            for m in PastMembership.objects.filter(user=user).select_related("organisation")
        ],
        "qualifications": [
            {
                "organisation": q.qualification.organisation.name,
                "qualification": q.qualification.name,
                "expires_on": _iso(q.expires_on),
                "confirmed_at": _iso(q.confirmed_at),
            }
            for q in VolunteerQualification.objects.filter(user=user).select_related(
                "qualification__organisation"
            )
        ],
        # The proof that they were given each organisation's information note (Belgian law).
        "info_note_acknowledgements": [
            {
                "organisation": a.organisation.name,
                "version": a.version,
                "channel": a.channel,
                "acknowledged_at": _iso(a.acknowledged_at),
            }
            for a in InfoNoteAcknowledgement.objects.filter(user=user)
            .select_related("organisation")
            .order_by("acknowledged_at", "id")
        ],
        "claims": [
            {
                "id": c.pk,
                "organisation": c.shift.organisation.name,
                "shift": c.shift.title,
                "starts_at": _iso(c.shift.starts_at),
                "ends_at": _iso(c.shift.ends_at),
                "status": c.status,
                "created_at": _iso(c.created_at),
                "confirmed_at": _iso(c.confirmed_at),
                "cancelled_at": _iso(c.cancelled_at),
                "late_cancellation": c.late_cancellation,
                "checked_in_at": _iso(c.checked_in_at),
                "checked_out_at": _iso(c.checked_out_at),
                "minutes_volunteered": c.minutes_volunteered,
            }
            for c in Claim.objects.filter(volunteer=user)
            .select_related("shift__organisation")
            .order_by("shift__starts_at", "id")
        ],
        # What was sent to them (reminders, promotions, moved shifts, follow-up questions) or
        # is planned, without the internal fan-out rows (which have no person).
        "notifications": [
            {
                "kind": n.kind,
                "organisation": n.shift.organisation.name,
                "shift": n.shift.title,
                "scheduled_for": _iso(n.scheduled_for),
                "status": n.status,
                "sent_at": _iso(n.sent_at),
            }
            for n in Notification.objects.filter(user=user)
            .select_related("shift__organisation")
            .order_by("scheduled_for", "id")
        ],
        # Their answers to "how did it go", and what the coordinators noted on them.
        "follow_ups": [
            {
                "organisation": f.claim.shift.organisation.name,
                "shift": f.claim.shift.title,
                "starts_at": _iso(f.claim.shift.starts_at),
                "score": f.score,
                "comment": f.comment,
                "answered_at": _iso(f.answered_at),
                "attendance_confirmed_at": _iso(f.attendance_confirmed_at),
                "needs_follow_up": f.needs_follow_up,
                "handled_at": _iso(f.handled_at),
                "handled_note": f.handled_note,
            }
            for f in ClaimFeedback.objects.filter(claim__volunteer=user)
            .select_related("claim__shift__organisation")
            .order_by("claim__shift__starts_at", "id")
        ],
        "reminder_offsets_minutes": reminders.offsets_minutes if reminders is not None else None,
        "telegram": {
            "reminders_enabled": telegram.reminders_enabled,
            "unreachable_since": _iso(telegram.unreachable_since),
        }
        if telegram is not None
        else None,
    }

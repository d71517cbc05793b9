"""Many due reminders at once, for the worker-process tests and bench/reminders.py.

Built with bulk inserts (not the services): what is measured is the sending, not claiming.
Every reminder goes to its own chat, so the per-chat limit of 1 a second does not apply.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from backend.accounts.models import User, VolunteerProfile
from backend.notifications.models import Kind, Notification
from backend.organisations.models import Organisation
from backend.shifts.models import Claim, ClaimStatus, Shift, ShiftStatus

FIRST_CHAT = 1_000_000
SEATS_PER_SHIFT = 500


def due_reminders(count: int) -> list[int]:
    """``count`` confirmed claims with a reminder due now, each volunteer in their own chat;
    their chat ids."""
    now = timezone.now()
    organisation = Organisation.objects.create(name="Bulk", slug=f"bulk-{now.timestamp():.0f}")
    # Within 12 hours, so quiet hours never hold them back, whatever the time of the run.
    starts_at = now + dt.timedelta(hours=6)
    shifts = Shift.objects.bulk_create(
        [
            Shift(
                organisation=organisation,
                title=f"Shift {n}",
                address="Kerkstraat 1",
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(hours=2),
                capacity=SEATS_PER_SHIFT,
                status=ShiftStatus.PUBLISHED,
            )
            for n in range(-(-count // SEATS_PER_SHIFT))
        ]
    )
    users = User.objects.bulk_create(
        [
            User(email=f"bulk{n}-{now.timestamp():.0f}@example.org", password="!")
            for n in range(count)
        ]
    )
    chats = [FIRST_CHAT + n for n in range(count)]
    VolunteerProfile.objects.bulk_create(
        [
            VolunteerProfile(user=user, display_name=f"V{n}", language="en", telegram_chat_id=chat)
            for n, (user, chat) in enumerate(zip(users, chats, strict=True))
        ]
    )
    claims = Claim.objects.bulk_create(
        [
            Claim(
                shift=shifts[n // SEATS_PER_SHIFT],
                volunteer=user,
                status=ClaimStatus.CONFIRMED,
                confirmed_at=now,
            )
            for n, user in enumerate(users)
        ]
    )
    Notification.objects.bulk_create(
        [
            Notification(
                key=f"reminder:{claim.pk}:bulk",
                kind=Kind.REMINDER,
                organisation=organisation,
                user_id=claim.volunteer_id,
                shift=claim.shift,
                claim=claim,
                shift_starts_at=starts_at,
                scheduled_for=now,
                due_at=now,
            )
            for claim in claims
        ],
        batch_size=1000,
    )
    return chats

"""claim_cancel by a coordinator: who did it and why are kept, the volunteer is told (in their
language, with the reason, by the worker), and it never counts as late against them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine

from backend.accounts.models import User
from backend.core.errors import ValidationFailed
from backend.notifications.models import Kind, Notification, Status
from backend.notifications.worker import Worker
from backend.organisations.models import Organisation
from backend.shifts.models import Claim, ClaimStatus
from backend.shifts.services import claim_cancel, claim_create
from tests.backend.conftest import MakeShift, MakeVolunteer
from tests.bots.fake_telegram import FakeTelegram
from tests.notifications.conftest import (  # noqa: F401 (fixtures)
    fake,
    messages_to,
    on_telegram,
    worker,
)

pytestmark = pytest.mark.django_db


def test_a_coordinator_cancelling_keeps_who_and_why_and_records_a_message_for_the_volunteer(
    volunteer: User, coordinator: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation)
    claim = claim_create(volunteer=volunteer, shift_id=shift.pk).claim

    claim_cancel(actor=coordinator, claim_id=claim.pk, reason="  The client is in hospital.  ")

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED
    assert claim.cancelled_by_id == coordinator.pk
    assert claim.cancellation_reason == "The client is in hospital."
    [row] = Notification.objects.filter(kind=Kind.CLAIM_CANCELLED)
    assert (row.user_id, row.claim_id, row.shift_id) == (volunteer.pk, claim.pk, shift.pk)
    assert row.payload == {"reason": "The client is in hospital."}
    assert row.status == Status.PENDING


def test_a_coordinator_cancelling_after_the_deadline_is_not_late_against_the_volunteer(
    volunteer: User, coordinator: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(
        organisation, starts_in=dt.timedelta(hours=30), cancellation_deadline_hours=24
    )
    claim = claim_create(volunteer=volunteer, shift_id=shift.pk).claim

    with time_machine.travel(shift.starts_at - dt.timedelta(hours=3), tick=False):
        cancelled = claim_cancel(actor=coordinator, claim_id=claim.pk, reason="Too many")

    assert cancelled.late_cancellation is False
    assert not Notification.objects.filter(kind=Kind.LATE_CANCELLATION).exists()


def test_a_volunteer_cancelling_their_own_claim_gets_no_such_message(
    volunteer: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation)
    claim = claim_create(volunteer=volunteer, shift_id=shift.pk).claim

    claim_cancel(actor=volunteer, claim_id=claim.pk, reason="ignored")

    claim.refresh_from_db()
    assert (claim.cancelled_by_id, claim.cancellation_reason) == (None, "")
    assert not Notification.objects.filter(kind=Kind.CLAIM_CANCELLED).exists()


def test_a_claim_taken_again_and_cancelled_by_the_volunteer_forgets_the_coordinator(
    volunteer: User, coordinator: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation)
    claim = claim_create(volunteer=volunteer, shift_id=shift.pk).claim
    claim_cancel(actor=coordinator, claim_id=claim.pk, reason="Mistake")
    claim_create(volunteer=volunteer, shift_id=shift.pk)

    claim_cancel(actor=volunteer, claim_id=claim.pk)

    claim.refresh_from_db()
    assert (claim.cancelled_by_id, claim.cancellation_reason) == (None, "")


def test_a_reason_longer_than_500_characters_is_refused_and_nothing_changes(
    volunteer: User, coordinator: User, organisation: Organisation, make_shift: MakeShift
) -> None:
    shift = make_shift(organisation)
    claim = claim_create(volunteer=volunteer, shift_id=shift.pk).claim

    with pytest.raises(ValidationFailed) as refused:
        claim_cancel(actor=coordinator, claim_id=claim.pk, reason="x" * 501)

    assert "reason" in refused.value.fields
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.CONFIRMED
    assert not Notification.objects.filter(kind=Kind.CLAIM_CANCELLED).exists()


@pytest.mark.parametrize(
    ("language", "start", "reason_word"),
    [
        ("fr", "Un coordinateur de WZC De Linde a annulé votre place", "Raison :"),
        ("nl", "Een coördinator van WZC De Linde heeft je plaats", "Reden:"),
        ("en", "A coordinator of WZC De Linde cancelled your place", "Reason:"),
    ],
)
def test_the_worker_tells_the_volunteer_in_their_language_with_the_reason(
    coordinator: User,
    organisation: Organisation,
    make_shift: MakeShift,
    on_telegram: Callable[..., User],  # noqa: F811
    fake: FakeTelegram,  # noqa: F811
    worker: Worker,  # noqa: F811
    language: str,
    start: str,
    reason_word: str,
) -> None:
    shift = make_shift(organisation, starts_in=dt.timedelta(days=2), title="Wandeling")
    anna = on_telegram(701, language=language)
    claim = claim_create(volunteer=anna, shift_id=shift.pk).claim
    worker.run_until_idle()  # plans her reminders; nothing is sent yet

    claim_cancel(actor=coordinator, claim_id=claim.pk, reason="De cliënt is opgenomen.")
    # Not in quiet hours, whatever time the test runs at: the message goes out now.
    with time_machine.travel(shift.starts_at.replace(hour=10) - dt.timedelta(days=1)):
        worker.run_until_idle()

    [message] = messages_to(fake, 701)
    assert message.startswith(start)
    assert "Wandeling" in message
    assert f"{reason_word} De cliënt is opgenomen." in message
    row = Notification.objects.get(kind=Kind.CLAIM_CANCELLED)
    assert row.status == Status.SENT


def test_the_message_is_dropped_when_the_volunteer_has_the_place_again_before_it_goes_out(
    coordinator: User,
    organisation: Organisation,
    make_shift: MakeShift,
    on_telegram: Callable[..., User],  # noqa: F811
    fake: FakeTelegram,  # noqa: F811
    worker: Worker,  # noqa: F811
) -> None:
    shift = make_shift(organisation, starts_in=dt.timedelta(days=2))
    anna = on_telegram(702)
    claim = claim_create(volunteer=anna, shift_id=shift.pk).claim
    claim_cancel(actor=coordinator, claim_id=claim.pk, reason="Wrong person")
    claim_create(volunteer=anna, shift_id=shift.pk)

    with time_machine.travel(shift.starts_at.replace(hour=10) - dt.timedelta(days=1)):
        worker.run_until_idle()

    row = Notification.objects.get(kind=Kind.CLAIM_CANCELLED)
    assert (row.status, row.last_error) == (Status.DROPPED, "the claim is active again")
    assert not any("cancelled your place" in text for text in messages_to(fake, 702))


def test_waitlisted_volunteers_cancelled_by_a_coordinator_are_told_too(
    coordinator: User,
    make_volunteer: MakeVolunteer,
    organisation: Organisation,
    make_shift: MakeShift,
) -> None:
    shift = make_shift(organisation, capacity=1)
    claim_create(volunteer=make_volunteer(), shift_id=shift.pk)
    waiting = claim_create(volunteer=make_volunteer(), shift_id=shift.pk).claim

    claim_cancel(actor=coordinator, claim_id=waiting.pk, reason="")

    row = Notification.objects.get(kind=Kind.CLAIM_CANCELLED)
    assert (row.claim_id, row.payload) == (waiting.pk, {"reason": ""})
    shift.refresh_from_db()
    assert (shift.confirmed_count, shift.waitlist_count) == (1, 0)

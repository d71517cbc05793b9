"""The information note of Belgian volunteer law: versions, acknowledgements before the first
claim, material and non-material changes, who may read it, and publishing only with the
insurance named."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.accounts.models import User
from backend.core.errors import (
    InfoNoteChanged,
    InfoNoteIncomplete,
    InfoNoteRequired,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from backend.organisations.info_note import (
    acknowledgements_csv,
    info_note_acknowledge,
    info_note_acknowledgements,
    info_note_read,
    info_note_readers,
    info_note_write,
    require_publishable,
)
from backend.organisations.models import InfoNoteAcknowledgement, Organisation, Role
from backend.organisations.services import organisation_create, organisation_update
from backend.shifts.models import ClaimStatus, ShiftStatus, ShiftVisibility
from backend.shifts.services import claim_cancel, claim_create, shift_create, shift_publish
from tests.factories import MembershipFactory, UserFactory, shift_at

pytestmark = pytest.mark.django_db

NOTE = {
    "purpose": "Gezelschap en activiteiten voor de bewoners.",
    "legal_form": "non_profit",
    "insurer": "Ethias",
    "policy_number": "45.123.456",
}


@pytest.fixture
def admin(organisation: Organisation) -> User:
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


def write(admin: User, organisation: Organisation, *, material: bool = True, **changes: str):  # type: ignore[no-untyped-def]
    return info_note_write(
        actor=admin, organisation_id=organisation.pk, material=material, **(NOTE | changes)
    )


def acknowledge(user: User, organisation: Organisation, version: int, channel: str = "app"):  # type: ignore[no-untyped-def]
    return info_note_acknowledge(
        user=user, organisation_id=organisation.pk, version=version, channel=channel
    )


def test_without_a_note_claims_go_through(organisation: Organisation, volunteer: User) -> None:
    shift = shift_at(organisation)
    assert claim_create(volunteer=volunteer, shift_id=shift.pk).claim.status == "confirmed"


def test_the_first_claim_waits_for_the_acknowledgement_and_then_goes_through(
    organisation: Organisation, volunteer: User, admin: User
) -> None:
    note = write(admin, organisation)
    shift = shift_at(organisation)
    with pytest.raises(InfoNoteRequired) as refused:
        claim_create(volunteer=volunteer, shift_id=shift.pk)
    assert refused.value.code == "info_note_required"
    shift.refresh_from_db()
    assert shift.confirmed_count == 0  # nothing was held
    reading = info_note_read(user=volunteer, organisation_id=organisation.pk)
    assert (reading.note.pk, reading.acknowledged_version, reading.up_to_date) == (
        note.pk,
        None,
        False,
    )
    ack = acknowledge(volunteer, organisation, note.version, channel="bot")
    assert (ack.version, ack.channel) == (1, "bot")
    assert ack.acknowledged_at <= timezone.now()
    assert claim_create(volunteer=volunteer, shift_id=shift.pk).claim.status == "confirmed"
    assert info_note_read(user=volunteer, organisation_id=organisation.pk).up_to_date


def test_a_material_change_asks_again_and_a_correction_does_not(
    organisation: Organisation, volunteer: User, admin: User
) -> None:
    write(admin, organisation)
    acknowledge(volunteer, organisation, 1)
    claim_create(volunteer=volunteer, shift_id=shift_at(organisation).pk)

    corrected = write(admin, organisation, material=False, purpose="Gezelschap (typfout).")
    organisation.refresh_from_db()
    assert (corrected.version, organisation.info_note_version) == (2, 1)
    later = shift_at(organisation, starts_in=dt.timedelta(days=4))
    assert claim_create(volunteer=volunteer, shift_id=later.pk).created

    changed = write(admin, organisation, material=True, insurer="AG Insurance")
    organisation.refresh_from_db()
    assert (changed.version, organisation.info_note_version) == (3, 3)
    third = shift_at(organisation, starts_in=dt.timedelta(days=6))
    with pytest.raises(InfoNoteRequired):
        claim_create(volunteer=volunteer, shift_id=third.pk)
    # Acknowledging the correction is not enough: the volunteer reads the current one.
    with pytest.raises(InfoNoteChanged):
        acknowledge(volunteer, organisation, 2)
    acknowledge(volunteer, organisation, 3)
    assert claim_create(volunteer=volunteer, shift_id=third.pk).created


def test_the_first_version_is_material_even_if_marked_a_correction(
    organisation: Organisation, admin: User
) -> None:
    note = write(admin, organisation, material=False)
    organisation.refresh_from_db()
    assert note.material and organisation.info_note_version == 1


def test_a_claim_made_earlier_is_kept_and_a_waitlisted_one_is_promoted_after_a_change(
    organisation: Organisation, make_volunteer, admin: User
) -> None:
    first, second = make_volunteer(), make_volunteer()
    write(admin, organisation)
    for person in (first, second):
        acknowledge(person, organisation, 1)
    shift = shift_at(organisation, capacity=1)
    held = claim_create(volunteer=first, shift_id=shift.pk).claim
    waiting = claim_create(volunteer=second, shift_id=shift.pk).claim
    assert waiting.status == ClaimStatus.WAITLISTED
    write(admin, organisation, material=True, purpose="Nieuwe doelstelling.")
    held.refresh_from_db()
    assert held.status == ClaimStatus.CONFIRMED
    # A seat frees up: promotion is not a new claim, the new version does not stop it.
    claim_cancel(actor=first, claim_id=held.pk)
    waiting.refresh_from_db()
    assert waiting.status == ClaimStatus.CONFIRMED


def test_acknowledging_twice_keeps_the_first_proof(
    organisation: Organisation, volunteer: User, admin: User
) -> None:
    write(admin, organisation)
    first = acknowledge(volunteer, organisation, 1, channel="bot")
    again = acknowledge(volunteer, organisation, 1, channel="app")
    assert again.pk == first.pk and again.channel == "bot"
    assert InfoNoteAcknowledgement.objects.count() == 1


def test_a_non_member_reads_the_note_of_an_organisation_with_an_open_public_shift(
    organisation: Organisation, outsider: User, admin: User
) -> None:
    write(admin, organisation)
    with pytest.raises(NotFound):
        info_note_read(user=outsider, organisation_id=organisation.pk)
    public = shift_at(organisation, visibility=ShiftVisibility.PUBLIC)
    with pytest.raises(InfoNoteRequired):
        claim_create(volunteer=outsider, shift_id=public.pk)
    acknowledge(outsider, organisation, 1)
    assert claim_create(volunteer=outsider, shift_id=public.pk).created
    # Their acknowledgement shows on the coordinators' list, though they are not a member.
    rows = {r.user_id: r for r in info_note_readers(actor=admin, organisation_id=organisation.pk)}
    assert rows[outsider.pk].up_to_date and rows[outsider.pk].role == ""


def test_a_public_shift_that_started_no_longer_opens_the_note_to_outsiders(
    organisation: Organisation, outsider: User, admin: User
) -> None:
    write(admin, organisation)
    shift_at(organisation, visibility=ShiftVisibility.PUBLIC, starts_in=-dt.timedelta(hours=1))
    shift_at(organisation, visibility=ShiftVisibility.PUBLIC, status=ShiftStatus.DRAFT)
    with pytest.raises(NotFound):
        info_note_read(user=outsider, organisation_id=organisation.pk)


def test_only_admins_write_the_note(
    organisation: Organisation, coordinator: User, volunteer: User, outsider: User
) -> None:
    with pytest.raises(PermissionDenied):
        write(coordinator, organisation)
    with pytest.raises(PermissionDenied):
        write(volunteer, organisation)
    with pytest.raises(NotFound):  # outsiders do not learn the organisation exists
        write(outsider, organisation)
    assert not organisation.info_notes.exists()


def test_every_missing_item_is_named_at_once_and_nothing_is_saved(
    organisation: Organisation, admin: User
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        info_note_write(
            actor=admin, organisation_id=organisation.pk, purpose=" ", legal_form="de_facto"
        )
    assert set(refused.value.fields) == {"purpose", "responsible_person"}
    with pytest.raises(ValidationFailed) as refused:
        write(admin, organisation, legal_form="plc", allowance_kind="cash")
    assert set(refused.value.fields) == {"legal_form", "allowance_kind"}
    with pytest.raises(ValidationFailed) as refused:
        write(admin, organisation, insurer="x" * 201)
    assert refused.value.fields["insurer"] == ["Gebruik hoogstens 200 tekens."]  # Dutch default
    organisation.refresh_from_db()
    assert organisation.info_note_version is None and not organisation.info_notes.exists()


def test_the_care_decree_adds_the_agreement_note(organisation: Organisation, admin: User) -> None:
    agreement = {"work_nature": "Gezelschap", "contact_person": "Sofie Claes"}
    # Without the decree the agreement fields are not kept.
    plain = write(admin, organisation, **agreement)
    assert plain.work_nature == "" and plain.contact_person == ""
    organisation_update(actor=admin, organisation_id=organisation.pk, care_decree=True)
    with pytest.raises(ValidationFailed) as refused:
        write(admin, organisation)
    assert set(refused.value.fields) == {"work_nature", "contact_person"}
    kept = write(admin, organisation, **agreement, required_training="Onthaaldag")
    assert (kept.work_nature, kept.contact_person, kept.required_training) == (
        "Gezelschap",
        "Sofie Claes",
        "Onthaaldag",
    )


def test_a_new_organisation_publishes_once_its_note_names_the_insurance(
    coordinator: User,
) -> None:
    creator = UserFactory()
    organisation = organisation_create(creator=creator, name="Buurtzorg Ledeberg")
    assert organisation.publish_requires_insurance
    starts = timezone.now() + dt.timedelta(days=3)
    values = {
        "actor": creator,
        "organisation": organisation,
        "title": "Wandeling",
        "starts_at": starts,
        "ends_at": starts + dt.timedelta(hours=2),
        "capacity": 3,
        "address": "Kerkstraat 1, 9050 Gent",
    }
    with pytest.raises(InfoNoteIncomplete):
        shift_create(**values, publish=True)
    draft = shift_create(**values)
    info_note_write(
        actor=creator,
        organisation_id=organisation.pk,
        purpose="Buurtzorg",
        legal_form="de_facto",
        responsible_person="Jan Peeters",
    )
    with pytest.raises(InfoNoteIncomplete) as refused:
        shift_publish(actor=creator, shift_id=draft.pk)
    assert refused.value.code == "info_note_incomplete"
    draft.refresh_from_db()
    assert draft.status == ShiftStatus.DRAFT
    info_note_write(
        actor=creator,
        organisation_id=organisation.pk,
        material=False,
        purpose="Buurtzorg",
        legal_form="de_facto",
        responsible_person="Jan Peeters",
        insurer="KBC",
        policy_number="123",
    )
    assert shift_publish(actor=creator, shift_id=draft.pk).status == ShiftStatus.PUBLISHED


def test_admins_can_switch_the_insurance_requirement_off(coordinator: User) -> None:
    creator = UserFactory()
    organisation = organisation_create(creator=creator, name="Koor De Vriendschap")
    with pytest.raises(InfoNoteIncomplete):
        require_publishable(organisation)
    organisation_update(
        actor=creator, organisation_id=organisation.pk, publish_requires_insurance=False
    )
    organisation.refresh_from_db()
    require_publishable(organisation)  # no error


def test_the_readers_list_puts_those_still_to_acknowledge_first_in_two_queries(
    organisation: Organisation, admin: User, make_volunteer, coordinator: User
) -> None:
    write(admin, organisation)
    people = [make_volunteer() for _ in range(6)]
    for person in people[:3]:
        acknowledge(person, organisation, 1)
    write(admin, organisation, material=True, purpose="Nieuw.")
    acknowledge(people[0], organisation, 2)
    with CaptureQueriesContext(connection) as queries:
        rows = info_note_readers(actor=coordinator, organisation_id=organisation.pk)
    # may_manage (2: membership role, of the actor), the organisation, acknowledgements, members.
    assert len(queries) <= 4
    by_user = {r.user_id: r for r in rows}
    assert by_user[people[0].pk].version == 2 and by_user[people[0].pk].up_to_date
    assert by_user[people[1].pk].version == 1 and not by_user[people[1].pk].up_to_date
    assert by_user[people[5].pk].version is None
    assert [r.up_to_date for r in rows] == sorted(r.up_to_date for r in rows)
    assert rows[-1].user_id == people[0].pk


def test_the_proof_is_a_csv_in_local_time_and_safe_in_a_spreadsheet(
    organisation: Organisation, admin: User, volunteer: User
) -> None:
    write(admin, organisation)
    volunteer.profile.display_name = "=HYPERLINK(1)"
    volunteer.profile.save()
    acknowledge(volunteer, organisation, 1, channel="bot")
    rows = info_note_acknowledgements(actor=admin, organisation_id=organisation.pk)
    table = list(
        csv.reader(io.StringIO(acknowledgements_csv(rows, time_zone="Europe/Brussels").decode()))
    )
    assert table[0] == ["user_id", "name", "email", "version", "channel", "acknowledged_at"]
    assert table[1][1] == "'=HYPERLINK(1)"
    assert table[1][3:5] == ["1", "bot"]
    assert table[1][5].endswith(("+01:00", "+02:00"))
    with pytest.raises(NotFound):
        info_note_acknowledgements(actor=volunteer, organisation_id=organisation.pk)

"""The information note's cockpit page through Django's test client: coordinators read the
current version and who confirmed which version (those who must still confirm first), and
download the proof; admins write new versions (material or a correction); the settings page
holds the switches of volunteer law; publishing refused for want of insurance points to the
note.

The texts are checked in English (the msgids); Dutch is the default language.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from backend.accounts.models import User, VolunteerProfile
from backend.organisations.info_note import info_note_acknowledge, info_note_write
from backend.organisations.models import AckChannel, InfoNote, Organisation, Role
from backend.shifts.models import Shift, ShiftStatus
from tests.factories import MembershipFactory, ShiftFactory

pytestmark = pytest.mark.django_db

NOTE: dict[str, Any] = {
    "purpose": "WZC De Linde is een woonzorgcentrum in Gent.",
    "legal_form": "non_profit",
    "insurer": "Ethias",
    "policy_number": "45.123.456",
    "other_insurance": "Lichamelijke ongevallen (Ethias, polis 45.123.457).",
    "allowance_kind": "flat_rate",
    "allowance_details": "15 euro per shift van minstens drie uur.",
    "discretion": "Je bent gebonden door discretie over wat je over bewoners hoort.",
}


@pytest.fixture
def admin(organisation: Organisation) -> User:
    user = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    VolunteerProfile.objects.filter(user=user).update(display_name="Hilde Admin")
    return user


def client_for(user: User | None, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf, HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def note_url(organisation: Organisation) -> str:
    return f"/board/{organisation.slug}/info-note/"


def csv_url(organisation: Organisation) -> str:
    return f"/board/{organisation.slug}/info-note/proof.csv"


def page(response: Any) -> str:
    return html.unescape(response.content.decode())


def field_errors(response: Any, field: str) -> list[str]:
    """The errors shown right under the field's label (its ``<id>_error`` list)."""
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page(response))
    return re.findall(r"<li>(.*?)</li>", found.group(1)) if found else []


def member(organisation: Organisation, name: str, role: str = Role.VOLUNTEER) -> User:
    user = MembershipFactory(organisation=organisation, role=role).user
    VolunteerProfile.objects.filter(user=user).update(display_name=name)
    return user


def write(admin: User, organisation: Organisation, *, material: bool = True, **changes: Any) -> int:
    note = info_note_write(
        actor=admin, organisation_id=organisation.pk, material=material, **{**NOTE, **changes}
    )
    return note.version


def acknowledge(user: User, organisation: Organisation, version: int, channel: str) -> None:
    info_note_acknowledge(
        user=user, organisation_id=organisation.pk, version=version, channel=channel
    )


def form_data(**changes: Any) -> dict[str, Any]:
    """What an admin submits: the note, material ticked."""
    data = {**NOTE, "material": "on", **changes}
    return {name: value for name, value in data.items() if value is not None}


# --- reading ------------------------------------------------------------------------------------


def test_a_coordinator_sees_the_note_and_who_must_still_confirm_it_first(
    organisation: Organisation, coordinator: User, admin: User
) -> None:
    VolunteerProfile.objects.filter(user=coordinator).update(display_name="Carla Coördinator")
    early = member(organisation, "Anna Vroeg")
    late = member(organisation, "Bert Laat")
    member(organisation, "Chris Nooit")
    acknowledge(early, organisation, write(admin, organisation), AckChannel.BOT)
    version = write(admin, organisation, insurer="AG Insurance")
    acknowledge(late, organisation, version, AckChannel.APP)

    response = client_for(coordinator).get(note_url(organisation))

    assert response.status_code == 200
    text = page(response)
    assert "Version 2" in text
    assert "Material change" in text
    for item in (
        "Purpose",
        "Legal form and responsible person",
        "Civil-liability insurance",
        "Other insurance",
        "Allowance",
        "Discretion and professional secrecy",
    ):
        assert f">{item}</h3>" in text
    assert NOTE["purpose"] in text
    assert "AG Insurance" in text and "45.123.457" in text
    assert "Non-profit association (vzw)" in text
    # Care-decree items only for organisations under the decree.
    assert "Agreement note" not in text
    # Readers: those still to confirm first (marked in words), then Bert, who confirmed v2.
    readers = response.context["readers"]
    names = [row.status.display_name for row in readers]
    assert names[-1] == "Bert Laat"
    assert set(names[:-1]) == {"Anna Vroeg", "Chris Nooit", "Carla Coördinator", "Hilde Admin"}
    assert text.index("Anna Vroeg") < text.index("Bert Laat")
    assert text.count("Must confirm version 2") == 4
    assert text.count("Up to date") == 1
    assert "4 people must still confirm version 2." in text
    anna = next(row for row in readers if row.status.display_name == "Anna Vroeg")
    assert (anna.status.version, anna.channel) == (1, "Telegram bot")
    # Coordinators read, admins write: no form here.
    assert response.context["form"] is None
    assert 'name="purpose"' not in text
    assert "Download proof (CSV)" in text
    nav = re.search(r'<nav class="tabs".*?</nav>', text, re.S)
    assert nav and 'aria-current="page">Information note</a>' in nav.group(0)


def test_without_a_note_the_page_says_so_and_lists_no_readers(
    organisation: Organisation, coordinator: User
) -> None:
    response = client_for(coordinator).get(note_url(organisation))

    assert response.status_code == 200
    text = page(response)
    assert "No information note yet." in text
    assert "An admin writes the first version." in text
    assert "Download proof (CSV)" not in text
    assert response.context["readers"] == []


def test_the_agreement_note_is_shown_under_the_care_decree(
    organisation: Organisation, coordinator: User, admin: User
) -> None:
    Organisation.objects.filter(pk=organisation.pk).update(care_decree=True)
    organisation.refresh_from_db()
    write(admin, organisation, work_nature="Gezelschap en wandelingen", contact_person="Els")

    text = page(client_for(coordinator).get(note_url(organisation)))

    assert "Agreement note (Flemish care decree)" in text
    assert "Gezelschap en wandelingen" in text
    assert "Els" in text


def test_volunteers_outsiders_and_visitors_may_not_open_the_note_page(
    organisation: Organisation, volunteer: User, outsider: User, admin: User
) -> None:
    write(admin, organisation)
    for url in (note_url(organisation), csv_url(organisation)):
        assert client_for(volunteer).get(url).status_code == 403
        assert client_for(outsider).get(url).status_code == 403
        assert client_for(None).get(url).status_code == 302
    assert client_for(volunteer).post(note_url(organisation), form_data()).status_code == 403
    assert client_for(admin).get("/board/nobody-here/info-note/").status_code == 404
    assert InfoNote.objects.count() == 1


def test_a_warning_says_publishing_waits_for_the_insurance(
    organisation: Organisation, coordinator: User, admin: User
) -> None:
    Organisation.objects.filter(pk=organisation.pk).update(publish_requires_insurance=True)
    organisation.refresh_from_db()
    write(admin, organisation, insurer="", policy_number="")
    client = client_for(coordinator)

    blocked = page(client.get(note_url(organisation)))
    write(admin, organisation)
    insured = page(client.get(note_url(organisation)))

    assert "Shifts cannot be published yet." in blocked
    assert "Ask an admin to fill them in. Admins: Hilde Admin." in blocked
    assert "Missing" in blocked
    assert "Shifts cannot be published yet." not in insured


def test_no_warning_when_the_organisation_switched_the_requirement_off(
    organisation: Organisation, coordinator: User, admin: User
) -> None:
    write(admin, organisation, insurer="", policy_number="")

    text = page(client_for(coordinator).get(note_url(organisation)))

    assert "Shifts cannot be published yet." not in text


# --- writing ------------------------------------------------------------------------------------


def test_an_admin_sees_the_form_prefilled_from_the_current_version(
    organisation: Organisation, admin: User
) -> None:
    write(admin, organisation)

    response = client_for(admin).get(note_url(organisation))

    text = page(response)
    assert response.context["form"].initial["insurer"] == "Ethias"
    assert f">\n{NOTE['purpose']}</textarea>" in text
    assert re.search(r'<input type="checkbox" name="material"[^>]*checked', text)
    assert "This is a material change (everyone confirms again before their next claim)" in text
    assert "Untick it for a correction" in text
    assert re.search(r'<input type="radio" name="legal_form" value="non_profit"[^>]*checked', text)


def test_an_admin_writes_the_first_version_which_is_always_material(
    organisation: Organisation, admin: User
) -> None:
    client = client_for(admin)
    assert 'name="material"' not in page(client.get(note_url(organisation)))

    response = client.post(note_url(organisation), form_data(material=None), follow=True)

    assert response.redirect_chain == [(note_url(organisation), 302)]
    note = InfoNote.objects.get()
    assert (note.version, note.material, note.insurer, note.created_by) == (
        1,
        True,
        "Ethias",
        admin,
    )
    organisation.refresh_from_db()
    assert organisation.info_note_version == 1
    assert "Version 1 of the information note is saved." in page(response)


@pytest.mark.parametrize(
    ("material", "required", "message"),
    [
        ("on", 2, "Every volunteer confirms it before their next claim."),
        (None, 1, "saved as a correction: confirmations of the previous version still count."),
    ],
)
def test_only_a_material_version_asks_everyone_to_confirm_again(
    organisation: Organisation, admin: User, material: str | None, required: int, message: str
) -> None:
    write(admin, organisation)

    response = client_for(admin).post(
        note_url(organisation), form_data(material=material, insurer="AG Insurance"), follow=True
    )

    latest = InfoNote.objects.get(version=2)
    assert (latest.insurer, latest.material) == ("AG Insurance", material == "on")
    organisation.refresh_from_db()
    assert organisation.info_note_version == required
    assert message in page(response)


@pytest.mark.parametrize(
    ("care_decree", "changes", "field"),
    [
        (False, {"legal_form": "de_facto", "responsible_person": ""}, "responsible_person"),
        (True, {"work_nature": "", "contact_person": "Els"}, "work_nature"),
        (False, {"purpose": "  "}, "purpose"),
    ],
)
def test_a_refused_field_is_shown_next_to_it_and_nothing_is_saved(
    organisation: Organisation,
    admin: User,
    care_decree: bool,
    changes: dict[str, str],
    field: str,
) -> None:
    Organisation.objects.filter(pk=organisation.pk).update(care_decree=care_decree)
    write(admin, organisation, work_nature="Wandelen", contact_person="Els")

    response = client_for(admin).post(note_url(organisation), form_data(**changes))

    assert response.status_code == 400
    assert field_errors(response, field) == ["This field is required."]
    assert f'href="#id_{field}"' in page(response)  # the summary links to it
    assert InfoNote.objects.count() == 1
    organisation.refresh_from_db()
    assert organisation.info_note_version == 1


def test_a_coordinator_may_not_write_a_version(
    organisation: Organisation, coordinator: User, admin: User
) -> None:
    write(admin, organisation)

    response = client_for(coordinator).post(note_url(organisation), form_data(purpose="Anders"))

    assert response.status_code == 403
    assert "Only the admins of WZC De Linde can open this page." in page(response)
    assert InfoNote.objects.count() == 1


def test_writing_a_version_needs_the_csrf_token(organisation: Organisation, admin: User) -> None:
    response = client_for(admin, csrf=True).post(note_url(organisation), form_data())

    assert response.status_code == 403
    assert not InfoNote.objects.exists()


# --- the proof ----------------------------------------------------------------------------------


def test_the_proof_downloads_as_csv_with_every_acknowledgement(
    organisation: Organisation, coordinator: User, admin: User
) -> None:
    anna = member(organisation, "Anna Vroeg")
    bert = member(organisation, "=Bert")
    acknowledge(anna, organisation, write(admin, organisation), AckChannel.BOT)
    version = write(admin, organisation)
    acknowledge(anna, organisation, version, AckChannel.WEB)
    acknowledge(bert, organisation, version, AckChannel.APP)

    response = client_for(coordinator).get(csv_url(organisation))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="de-linde-information-note.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows[0] == ["user_id", "name", "email", "version", "channel", "acknowledged_at"]
    assert [(r[1], r[2], r[3], r[4]) for r in rows[1:]] == [
        ("Anna Vroeg", anna.email, "1", "bot"),
        ("Anna Vroeg", anna.email, "2", "web"),
        ("'=Bert", bert.email, "2", "app"),
    ]
    # Local time of the organisation (Brussels: +01:00 or +02:00).
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00", rows[1][5])


# --- queries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("members", [2, 20])
def test_the_readers_list_reads_a_fixed_number_of_queries(
    organisation: Organisation,
    coordinator: User,
    admin: User,
    members: int,
    django_assert_num_queries: Any,
) -> None:
    people = [member(organisation, f"Vrijwilliger {n:02}") for n in range(members)]
    first = write(admin, organisation)
    for person in people[1::3]:
        acknowledge(person, organisation, first, AckChannel.BOT)
    second = write(admin, organisation)
    for person in people[2::3]:
        acknowledge(person, organisation, second, AckChannel.APP)
    client = client_for(coordinator)

    # Session, user, organisation, may_manage, may_administer; the current note; the readers
    # (organisation, may_manage, acknowledgements, members).
    with django_assert_num_queries(10):
        response = client.get(note_url(organisation))

    assert len(response.context["readers"]) == members + 2


# --- the settings -------------------------------------------------------------------------------


def test_the_settings_page_saves_the_switches_of_volunteer_law(
    organisation: Organisation, admin: User
) -> None:
    client = client_for(admin)
    url = f"/board/{organisation.slug}/settings/"
    before = page(client.get(url))
    data = {"name": organisation.name, "time_zone": "Europe/Brussels", "no_show_limit": "2"}

    response = client.post(url, {**data, "care_decree": "on", "requires_birth_date": "on"})
    organisation.refresh_from_db()
    saved = (
        organisation.care_decree,
        organisation.publish_requires_insurance,
        organisation.requires_birth_date,
    )
    after = page(client.get(url))

    assert "Publish shifts only when the information note names the civil-liability insurance" in (
        before
    )
    assert "Volunteers give their date of birth before claiming" in before
    assert "The organisation falls under the Flemish care decree" in before
    assert not re.search(r'name="care_decree"[^>]*checked', before)
    assert response.status_code == 302
    assert saved == (True, False, True)
    assert re.search(r'name="care_decree"[^>]*checked', after)
    assert not re.search(r'name="publish_requires_insurance"[^>]*checked', after)


# --- publishing without insurance ---------------------------------------------------------------


def shift_form(day: dt.date) -> dict[str, str]:
    return {
        "title": "Wandeling met bewoners",
        "description": "",
        "mode": "on_site",
        "address": "Kerkstraat 1, 9000 Gent",
        "meeting_link": "",
        "date": day.isoformat(),
        "start_time": "14:00",
        "end_time": "16:00",
        "capacity": "3",
        "visibility": "members",
        "claims_open_date": "",
        "claims_open_time": "",
        "cancellation_deadline_hours": "24",
        "action": "publish",
    }


@pytest.fixture
def requires_insurance(organisation: Organisation) -> Organisation:
    Organisation.objects.filter(pk=organisation.pk).update(publish_requires_insurance=True)
    organisation.refresh_from_db()
    return organisation


def test_a_new_shift_refused_for_want_of_insurance_links_to_the_note(
    requires_insurance: Organisation, coordinator: User
) -> None:
    organisation = requires_insurance
    day = timezone.localdate() + dt.timedelta(days=10)

    response = client_for(coordinator).post(
        f"/board/{organisation.slug}/shifts/new/", shift_form(day)
    )

    text = page(response)
    assert "Shifts can be published once the information note names the civil-liability" in text
    summary = re.search(r'<div class="error-summary".*?</div>', text, re.S)
    assert summary and f'<a href="{note_url(organisation)}">Open the information note</a>' in (
        summary.group(0)
    )
    assert not Shift.objects.exists()


def test_publishing_a_draft_refused_for_want_of_insurance_links_to_the_note(
    requires_insurance: Organisation, coordinator: User
) -> None:
    organisation = requires_insurance
    shift = ShiftFactory(organisation=organisation, status=ShiftStatus.DRAFT)

    response = client_for(coordinator).post(
        f"/board/{organisation.slug}/shifts/{shift.pk}/publish/", {"back": "drafts"}, follow=True
    )

    assert response.redirect_chain == [(f"/board/{organisation.slug}/shifts/{shift.pk}/edit/", 302)]
    message = re.search(r'<li class="message error">(.*?)</li>', page(response), re.S)
    assert message
    assert "names the civil-liability insurance" in message.group(1)
    assert f'<a href="{note_url(organisation)}">Open the information note</a>' in message.group(1)
    shift.refresh_from_db()
    assert shift.status == ShiftStatus.DRAFT


def test_other_refusals_to_publish_do_not_point_to_the_note(
    organisation: Organisation, coordinator: User
) -> None:
    started = ShiftFactory(
        organisation=organisation,
        status=ShiftStatus.DRAFT,
        starts_at=timezone.now() - dt.timedelta(hours=1),
        ends_at=timezone.now() + dt.timedelta(hours=1),
    )

    response = client_for(coordinator).post(
        f"/board/{organisation.slug}/shifts/{started.pk}/publish/", follow=True
    )

    text = page(response)
    assert '<li class="message error">' in text
    assert "Open the information note" not in text

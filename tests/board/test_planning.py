"""The planning pages through Django's test client: creating, editing, publishing and
cancelling a shift, a recurring series, copying a week; errors next to their field in the
coordinator's language; who may do it; CSRF.

The clock stands on Monday 4 January 2027 in Brussels; summer time starts there on Sunday
28 March 2027.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from backend.accounts.models import User
from backend.organisations.models import Organisation
from backend.shifts.models import Claim, ClaimStatus, Shift, ShiftSeries, ShiftStatus
from backend.shifts.services import claim_create
from tests.factories import QualificationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = dt.datetime(2027, 1, 4, 9, tzinfo=BRUSSELS)


@pytest.fixture(autouse=True)
def in_january_2027() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def client_for(user: User, language: str | None = None) -> Client:
    client = Client(headers={"accept-language": language} if language else None)
    client.force_login(user)
    return client


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2027, month, day, hour, minute, tzinfo=BRUSSELS)


def shift_form(**changes: Any) -> dict[str, Any]:
    """What a coordinator types for a shift on Wednesday 20 January, 14:00-16:00."""
    data: dict[str, Any] = {
        "title": "Wandeling met bewoners",
        "description": "",
        "mode": "on_site",
        "address": "Kerkstraat 1, 9000 Gent",
        "meeting_link": "",
        "date": "2027-01-20",
        "start_time": "14:00",
        "end_time": "16:00",
        "capacity": "3",
        "waitlist_enabled": "on",
        "visibility": "members",
        "claims_open_date": "",
        "claims_open_time": "",
        "cancellation_deadline_hours": "24",
        "action": "publish",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def page(response: Any) -> str:
    return html.unescape(response.content.decode())


def field_errors(response: Any, field: str) -> list[str]:
    """The errors shown right under the field's label (its ``<id>_error`` list)."""
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page(response))
    return re.findall(r"<li>(.*?)</li>", found.group(1)) if found else []


def input_tag(response: Any, field: str) -> str:
    found = re.search(rf'<input[^>]*id="id_{field}"[^>]*>', page(response))
    assert found, f"no input id_{field}"
    return found.group(0)


def new_url(organisation: Organisation) -> str:
    return f"/board/{organisation.slug}/shifts/new/"


def edit_url(shift: Shift) -> str:
    return f"/board/{shift.organisation.slug}/shifts/{shift.pk}/edit/"


def local(moment: dt.datetime) -> tuple[dt.date, dt.time]:
    moment = moment.astimezone(BRUSSELS)
    return moment.date(), moment.time()


# --- creating ----------------------------------------------------------------------------------


def test_coordinator_creates_and_publishes_a_shift_and_lands_on_the_board(
    organisation: Organisation, coordinator: User
) -> None:
    client = client_for(coordinator)
    assert client.get(new_url(organisation)).status_code == 200

    response = client.post(new_url(organisation), shift_form(), follow=True)

    assert response.redirect_chain == [(f"/board/{organisation.slug}/", 302)]
    shift = Shift.objects.get()
    assert (shift.title, shift.status, shift.capacity) == (
        "Wandeling met bewoners",
        ShiftStatus.PUBLISHED,
        3,
    )
    assert (shift.starts_at, shift.ends_at) == (at(1, 20, 14), at(1, 20, 16))
    assert shift.starts_at.astimezone(dt.UTC).hour == 13  # winter: UTC+1
    assert (
        "Bewaard en gepubliceerd: Wandeling met bewoners, 20 januari 2027, 14:00\u201316:00."
        in (page(response))
    )


def test_a_draft_lands_on_its_edit_page_and_publishing_puts_it_on_the_board(
    organisation: Organisation, coordinator: User
) -> None:
    client = client_for(coordinator)
    response = client.post(new_url(organisation), shift_form(action="draft"), follow=True)
    shift = Shift.objects.get()
    assert shift.status == ShiftStatus.DRAFT
    assert response.redirect_chain == [(edit_url(shift), 302)]
    assert "Vrijwilligers zien deze ontwerpshift pas als je ze publiceert." in page(response)
    drafts = client.get(f"/board/{organisation.slug}/planning/")
    assert "Wandeling met bewoners" in page(drafts)

    response = client.post(
        f"/board/{organisation.slug}/shifts/{shift.pk}/publish/", {"back": "drafts"}, follow=True
    )

    shift.refresh_from_db()
    assert shift.status == ShiftStatus.PUBLISHED
    assert response.redirect_chain == [(f"/board/{organisation.slug}/planning/", 302)]
    assert "Geen ontwerpen." in page(response)


def test_local_times_become_utc_across_the_change_to_summer_time(
    organisation: Organisation, coordinator: User
) -> None:
    client = client_for(coordinator)
    for day in ("2027-03-27", "2027-03-28"):  # Saturday in winter time, Sunday in summer time
        client.post(new_url(organisation), shift_form(title=day, date=day))
    # A night shift over the change: 22:00 to 06:00 is seven hours that night.
    client.post(
        new_url(organisation),
        shift_form(title="Nacht", date="2027-03-27", start_time="22:00", end_time="06:00"),
    )

    saturday, sunday, night = (
        Shift.objects.get(title=t) for t in ("2027-03-27", "2027-03-28", "Nacht")
    )
    assert saturday.starts_at == dt.datetime(2027, 3, 27, 13, tzinfo=dt.UTC)
    assert sunday.starts_at == dt.datetime(2027, 3, 28, 12, tzinfo=dt.UTC)
    assert local(sunday.starts_at) == (dt.date(2027, 3, 28), dt.time(14))
    assert local(night.ends_at) == (dt.date(2027, 3, 28), dt.time(6))
    assert night.ends_at - night.starts_at == dt.timedelta(hours=7)


def test_a_time_the_clocks_skip_is_refused_next_to_the_start(
    organisation: Organisation, coordinator: User
) -> None:
    response = client_for(coordinator).post(
        new_url(organisation), shift_form(date="2027-03-28", start_time="02:30", end_time="05:00")
    )
    assert response.status_code == 200
    assert field_errors(response, "start_time") == [
        "Dit uur bestaat niet op 28 maart 2027: die nacht gaat de klok een uur vooruit."
    ]
    assert not Shift.objects.exists()


def test_the_services_refusals_appear_next_to_their_field_in_dutch(
    organisation: Organisation, coordinator: User
) -> None:
    response = client_for(coordinator).post(new_url(organisation), shift_form(address=""))

    assert response.status_code == 200
    assert field_errors(response, "address") == ["Een shift ter plaatse heeft een adres nodig."]
    address = input_tag(response, "address")
    assert 'aria-invalid="true"' in address
    assert "id_address_error" in address
    assert "Controleer het formulier" in page(response)
    assert 'value="Wandeling met bewoners"' in page(response)  # what was typed stays
    assert not Shift.objects.exists()


def test_the_services_refusals_appear_next_to_their_field_in_french(
    organisation: Organisation, coordinator: User
) -> None:
    client = client_for(coordinator, language="fr")
    response = client.post(new_url(organisation), shift_form(address=""))
    assert field_errors(response, "address") == ["Un créneau sur place a besoin d'une adresse."]

    response = client.post(new_url(organisation), shift_form(date="2027-01-03"))  # yesterday
    assert field_errors(response, "start_time") == ["Le début doit être dans le futur."]
    response = client.post(new_url(organisation), shift_form(capacity="0"))
    assert field_errors(response, "capacity") == ["La capacité doit être comprise entre 1 et 500."]
    assert not Shift.objects.exists()


def test_claims_opening_and_qualifications_reach_the_shift(
    organisation: Organisation, coordinator: User
) -> None:
    first_aid = QualificationFactory(organisation=organisation, name="EHBO")
    QualificationFactory(organisation=organisation, name="Rolstoel")
    client = client_for(coordinator)
    response = client.post(
        new_url(organisation),
        shift_form(
            claims_open_date="2027-01-10",
            claims_open_time="",
            required_qualifications=[str(first_aid.pk)],
        ),
    )
    assert field_errors(response, "claims_open_time") == ["Geef ook een uur, of geen datum."]

    client.post(
        new_url(organisation),
        shift_form(
            claims_open_date="2027-01-10",
            claims_open_time="09:00",
            required_qualifications=[str(first_aid.pk)],
        ),
    )
    shift = Shift.objects.get()
    assert shift.claims_open_at == at(1, 10, 9)
    assert list(shift.required_qualifications.all()) == [first_aid]


# --- editing -----------------------------------------------------------------------------------


def test_coordinator_edits_the_capacity_and_the_times_stay(
    organisation: Organisation, coordinator: User
) -> None:
    # Made through the API, to the second: the minute inputs must not move it.
    shift = ShiftFactory(
        organisation=organisation,
        starts_at=at(1, 20, 14, 0) + dt.timedelta(seconds=30),
        ends_at=at(1, 20, 16),
    )
    client = client_for(coordinator)
    form = client.get(edit_url(shift))
    assert 'value="2027-01-20"' in page(form)
    assert input_tag(form, "start_time").count('value="14:00"') == 1

    response = client.post(
        edit_url(shift), shift_form(capacity="8", title=shift.title, action="save")
    )

    assert response.status_code == 302
    assert response["Location"] == f"/board/{organisation.slug}/"
    shift.refresh_from_db()
    assert shift.capacity == 8
    assert shift.starts_at == at(1, 20, 14, 0) + dt.timedelta(seconds=30)
    assert list(shift.changes.values_list("fields", flat=True)) == [["capacity"]]
    # It was published already: saving says so, not "saved and published".
    board = page(client.get(response["Location"]))
    assert f"Bewaard: {shift.title}," in board
    assert "gepubliceerd" not in board.split('role="status"')[1].split("</div>")[0]


def test_moving_a_shift_through_the_edit_page(
    organisation: Organisation, coordinator: User
) -> None:
    shift = ShiftFactory(organisation=organisation, starts_at=at(1, 20, 14), ends_at=at(1, 20, 16))
    client_for(coordinator).post(
        edit_url(shift), shift_form(date="2027-04-07", start_time="10:00", end_time="12:30")
    )
    shift.refresh_from_db()
    assert (shift.starts_at, shift.ends_at) == (at(4, 7, 10), at(4, 7, 12, 30))
    assert shift.starts_at.astimezone(dt.UTC).hour == 8  # summer: UTC+2


def test_a_capacity_below_the_confirmed_count_is_refused_with_the_domains_message(
    organisation: Organisation, coordinator: User, make_volunteer: Any
) -> None:
    shift = ShiftFactory(organisation=organisation, starts_at=at(1, 20, 14), ends_at=at(1, 20, 16))
    for _ in range(2):
        claim_create(volunteer=make_volunteer(), shift_id=shift.pk)

    response = client_for(coordinator).post(edit_url(shift), shift_form(capacity="1"))

    assert response.status_code == 200
    assert field_errors(response, "capacity") == [
        "De capaciteit kan niet lager zijn dan het aantal bevestigde vrijwilligers."
    ]
    shift.refresh_from_db()
    assert (shift.capacity, shift.confirmed_count) == (5, 2)


def test_a_cancelled_shift_cannot_be_edited(organisation: Organisation, coordinator: User) -> None:
    shift = ShiftFactory(
        organisation=organisation,
        starts_at=at(1, 20, 14),
        ends_at=at(1, 20, 16),
        status=ShiftStatus.CANCELLED,
    )
    client = client_for(coordinator)
    assert "Deze shift is geannuleerd." in page(client.get(edit_url(shift)))
    response = client.post(edit_url(shift), shift_form(capacity="9"))
    assert "Een geannuleerde of voorbije shift kan niet gewijzigd worden." in page(response)
    shift.refresh_from_db()
    assert shift.capacity == 5


# --- cancelling --------------------------------------------------------------------------------


def test_cancelling_asks_first_and_says_how_many_volunteers_will_be_told(
    organisation: Organisation, coordinator: User, make_volunteer: Any
) -> None:
    shift = ShiftFactory(
        organisation=organisation, starts_at=at(1, 20, 14), ends_at=at(1, 20, 16), capacity=2
    )
    volunteers = [make_volunteer() for _ in range(3)]
    for volunteer in volunteers:
        claim_create(volunteer=volunteer, shift_id=shift.pk)  # two seats, one on the waitlist
    url = f"/board/{organisation.slug}/shifts/{shift.pk}/cancel/"
    client = client_for(coordinator)

    confirm = client.get(url)
    assert "3 vrijwilligers krijgen bericht dat de shift geannuleerd is." in page(confirm)
    shift.refresh_from_db()
    assert shift.status == ShiftStatus.PUBLISHED  # asking changed nothing

    response = client.post(url, follow=True)

    assert response.redirect_chain == [(f"/board/{organisation.slug}/", 302)]
    assert "3 vrijwilligers krijgen bericht." in page(response)
    shift.refresh_from_db()
    assert shift.status == ShiftStatus.CANCELLED
    assert set(Claim.objects.values_list("status", flat=True)) == {ClaimStatus.CANCELLED}


def test_cancelling_a_draft_deletes_it(organisation: Organisation, coordinator: User) -> None:
    shift = ShiftFactory(
        organisation=organisation,
        starts_at=at(1, 20, 14),
        ends_at=at(1, 20, 16),
        status=ShiftStatus.DRAFT,
    )
    url = f"/board/{organisation.slug}/shifts/{shift.pk}/cancel/"
    client = client_for(coordinator)
    assert "Ze wordt verwijderd." in page(client.get(url))
    response = client.post(url)
    assert response["Location"] == f"/board/{organisation.slug}/planning/"
    assert not Shift.objects.exists()


# --- series ------------------------------------------------------------------------------------


def series_form(**changes: Any) -> dict[str, Any]:
    """Tuesdays and Thursdays from 16 March to 8 April 2027, 14:00-16:00: eight shifts."""
    data = shift_form(date=None, start_time="14:00", end_time="16:00", title="Voorlezen")
    data |= {
        "frequency": "weekly",
        "weekdays": ["1", "3"],
        "interval": "1",
        "starts_on": "2027-03-16",
        "until": "2027-04-08",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def test_showing_the_dates_of_a_series_creates_nothing(
    organisation: Organisation, coordinator: User
) -> None:
    url = f"/board/{organisation.slug}/series/new/"
    response = client_for(coordinator).post(url, series_form(action="preview", title=""))
    assert response.status_code == 200
    text = page(response)
    assert "Deze reeks maakt 8 shifts aan." in text
    assert "dinsdag 16 maart 2027" in text
    assert field_errors(response, "title") == []  # the rest may still be empty
    assert not ShiftSeries.objects.exists()
    assert not Shift.objects.exists()


def test_a_series_creates_one_shift_per_date_at_the_same_local_time(
    organisation: Organisation, coordinator: User
) -> None:
    url = f"/board/{organisation.slug}/series/new/"
    response = client_for(coordinator).post(url, series_form(action="publish"), follow=True)

    assert response.redirect_chain == [(f"/board/{organisation.slug}/", 302)]
    assert "Reeks Voorlezen aangemaakt: 8 shifts, gepubliceerd." in page(response)
    shifts = list(Shift.objects.order_by("starts_at"))
    assert len(shifts) == 8
    assert {local(s.starts_at)[1] for s in shifts} == {dt.time(14)}  # across summer time
    assert {s.status for s in shifts} == {ShiftStatus.PUBLISHED}
    assert {s.series_id for s in shifts} == {ShiftSeries.objects.get().pk}


def test_a_series_rule_the_service_refuses_is_shown_next_to_its_field(
    organisation: Organisation, coordinator: User
) -> None:
    url = f"/board/{organisation.slug}/series/new/"
    response = client_for(coordinator).post(url, series_form(until="2027-03-01", action="draft"))
    assert field_errors(response, "until") == ["De reeks moet eindigen op of na haar eerste dag."]
    response = client_for(coordinator).post(url, series_form(address="", action="draft"))
    assert field_errors(response, "address") == ["Een shift ter plaatse heeft een adres nodig."]
    assert not ShiftSeries.objects.exists()


# --- copying a week ----------------------------------------------------------------------------


def test_copying_a_week_twice_creates_nothing_the_second_time_and_says_so(
    organisation: Organisation, coordinator: User
) -> None:
    ShiftFactory(
        organisation=organisation, title="Bingo", starts_at=at(1, 18, 14), ends_at=at(1, 18, 16)
    )
    ShiftFactory(
        organisation=organisation, title="Markt", starts_at=at(1, 22, 9), ends_at=at(1, 22, 12)
    )
    url = f"/board/{organisation.slug}/copy-week/"
    body = {"from_week": "2027-01-20", "to_week": "2027-01-25"}
    client = client_for(coordinator)

    first = client.post(url, body)
    assert (
        "2 shifts gekopieerd van de week van maandag 18 januari 2027 naar de week van maandag 25 januari 2027."
        in page(first)
    )
    second = client.post(url, body)

    assert (
        "Geen nieuwe shifts: deze shifts bestaan al in de week van maandag 25 januari 2027."
        in page(second)
    )
    copies = Shift.objects.filter(starts_at__gte=at(1, 25, 0)).order_by("starts_at")
    assert [(c.title, local(c.starts_at), c.status) for c in copies] == [
        ("Bingo", (dt.date(2027, 1, 25), dt.time(14)), ShiftStatus.DRAFT),
        ("Markt", (dt.date(2027, 1, 29), dt.time(9)), ShiftStatus.DRAFT),
    ]


def test_copying_an_empty_week_says_there_was_nothing_to_copy(
    organisation: Organisation, coordinator: User
) -> None:
    response = client_for(coordinator).post(
        f"/board/{organisation.slug}/copy-week/",
        {"from_week": "2027-02-01", "to_week": "2027-02-08"},
    )
    assert (
        "Geen nieuwe shifts: de week van maandag 1 februari 2027 heeft geen shifts om te kopiëren."
        in page(response)
    )


def test_copying_a_week_onto_itself_is_refused_next_to_the_target_week(
    organisation: Organisation, coordinator: User
) -> None:
    response = client_for(coordinator).post(
        f"/board/{organisation.slug}/copy-week/",
        {"from_week": "2027-02-01", "to_week": "2027-02-03"},
    )
    assert field_errors(response, "to_week") == ["Kies een andere week om naar te kopiëren."]


# --- who may ---------------------------------------------------------------------------------


def planning_requests(
    organisation: Organisation, shift: Shift
) -> list[tuple[str, str, dict[str, Any]]]:
    base = f"/board/{organisation.slug}"
    return [
        ("get", f"{base}/planning/", {}),
        ("post", f"{base}/shifts/new/", shift_form()),
        ("post", f"{base}/shifts/{shift.pk}/edit/", shift_form(capacity="9")),
        ("post", f"{base}/shifts/{shift.pk}/publish/", {}),
        ("post", f"{base}/shifts/{shift.pk}/cancel/", {}),
        ("post", f"{base}/series/new/", series_form(action="publish")),
        ("post", f"{base}/copy-week/", {"from_week": "2027-01-20", "to_week": "2027-01-25"}),
    ]


def test_volunteers_and_other_organisations_coordinators_get_403_and_nothing_changes(
    organisation: Organisation, volunteer: User, outsider: User
) -> None:
    shift = ShiftFactory(
        organisation=organisation,
        starts_at=at(1, 20, 14),
        ends_at=at(1, 20, 16),
        status=ShiftStatus.DRAFT,
    )
    for user in (volunteer, outsider):
        client = client_for(user)
        for method, url, body in planning_requests(organisation, shift):
            assert getattr(client, method)(url, body).status_code == 403, (user, url)
            if method == "post":
                assert client.get(url).status_code in (403, 405), url
    assert list(Shift.objects.values_list("pk", "status", "capacity")) == [
        (shift.pk, ShiftStatus.DRAFT, 5)
    ]


def test_another_organisations_shift_is_not_found_through_ones_own_slug(
    organisation: Organisation, other_organisation: Organisation, outsider: User
) -> None:
    shift = ShiftFactory(organisation=organisation, starts_at=at(1, 20, 14), ends_at=at(1, 20, 16))
    client = client_for(outsider)
    base = f"/board/{other_organisation.slug}/shifts/{shift.pk}"
    assert client.get(f"{base}/edit/").status_code == 404
    assert client.post(f"{base}/edit/", shift_form(capacity="9")).status_code == 404
    assert client.post(f"{base}/publish/").status_code == 404
    assert client.post(f"{base}/cancel/").status_code == 404
    shift.refresh_from_db()
    assert (shift.status, shift.capacity) == (ShiftStatus.PUBLISHED, 5)


def test_anonymous_visitors_are_sent_to_log_in(organisation: Organisation) -> None:
    response = Client().get(new_url(organisation))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_post_without_the_csrf_token_is_refused(
    organisation: Organisation, coordinator: User
) -> None:
    shift = ShiftFactory(organisation=organisation, starts_at=at(1, 20, 14), ends_at=at(1, 20, 16))
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    assert client.post(new_url(organisation), shift_form()).status_code == 403
    assert client.post(f"/board/{organisation.slug}/shifts/{shift.pk}/cancel/").status_code == 403
    assert (
        client.post(
            f"/board/{organisation.slug}/copy-week/",
            {"from_week": "2027-01-20", "to_week": "2027-01-25"},
        ).status_code
        == 403
    )
    assert list(Shift.objects.values_list("status", flat=True)) == [ShiftStatus.PUBLISHED]

    # With the token from the form, the same request goes through.
    form = client.get(new_url(organisation))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page(form)).group(1)  # type: ignore[union-attr]
    response = client.post(new_url(organisation), shift_form(csrfmiddlewaretoken=token))
    assert response.status_code == 302
    assert Shift.objects.count() == 2


# --- query counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [2, 20])
def test_the_edit_page_and_the_drafts_page_take_a_fixed_number_of_queries(
    organisation: Organisation, coordinator: User, django_assert_num_queries: Any, rows: int
) -> None:
    shift = ShiftFactory(organisation=organisation, starts_at=at(1, 20, 14), ends_at=at(1, 20, 16))
    qualifications = [QualificationFactory(organisation=organisation) for _ in range(rows)]
    shift.required_qualifications.set(qualifications[: rows // 2])
    for day in range(rows):
        ShiftFactory(
            organisation=organisation,
            starts_at=at(2, 1, 9) + dt.timedelta(days=day),
            ends_at=at(2, 1, 10) + dt.timedelta(days=day),
            status=ShiftStatus.DRAFT,
        )
    client = client_for(coordinator)
    client.get(edit_url(shift))  # the session's first request loads more than the others

    # session, user, may_manage, may_administer, organisation, the shift and its
    # qualifications, the catalogue (exists, then the choices)
    with django_assert_num_queries(9):
        assert client.get(edit_url(shift)).status_code == 200
    with django_assert_num_queries(6):
        assert client.get(f"/board/{organisation.slug}/planning/").status_code == 200


def test_one_round_shows_every_mistake_it_can_judge_in_the_pages_order(
    organisation: Organisation, coordinator: User
) -> None:
    response = client_for(coordinator, "en").post(
        new_url(organisation),
        shift_form(end_time="25:00", capacity="0", address="", date="2026-12-20"),
    )

    assert response.status_code == 200
    assert field_errors(response, "end_time") == ["Enter a valid time."]
    assert field_errors(response, "capacity") == ["Capacity must be between 1 and 500."]
    assert field_errors(response, "address") == ["An on-site shift needs an address."]
    summary = page(response).split('class="summary-links"')[1].split("</ul>")[0]
    assert summary.index("End") < summary.index("Address") < summary.index("Capacity")

    past = client_for(coordinator, "en").post(
        new_url(organisation), shift_form(date="2026-12-20", capacity="0")
    )
    assert field_errors(past, "capacity") == ["Capacity must be between 1 and 500."]
    assert "The start must be in the future." in page(past)
    assert not Shift.objects.exists()

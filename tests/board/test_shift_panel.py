"""A shift's detail panel (/board/<slug>/shifts/<id>/) and the actions on its volunteers,
through the Django test client: who may, what changes, what the panel says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from backend.accounts.models import User, VolunteerProfile
from backend.notifications.models import Kind, Notification
from backend.organisations.models import Organisation, VolunteerQualification
from backend.shifts.models import Claim, ClaimStatus, Shift
from backend.shifts.services import claim_create
from tests.factories import MembershipFactory, QualificationFactory, shift_at

pytestmark = pytest.mark.django_db

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def panel_url(shift: Shift) -> str:
    return f"/board/{shift.organisation.slug}/shifts/{shift.pk}/"


def action_url(shift: Shift, claim: Claim, action: str) -> str:
    return f"{panel_url(shift)}claims/{claim.pk}/{action}/"


def fresh(claim: Claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


def seat(volunteer: User, shift: Shift) -> Claim:
    return claim_create(volunteer=volunteer, shift_id=shift.pk).claim


def named(user: User, name: str, phone: str = "") -> User:
    VolunteerProfile.objects.filter(user=user).update(display_name=name, phone=phone)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def shift(organisation: Organisation) -> Shift:
    return shift_at(organisation, starts_in=dt.timedelta(days=2), capacity=2, title="Wandeling")


@pytest.fixture
def running(organisation: Organisation) -> Shift:
    """A shift that started an hour ago and ends in an hour."""
    return shift_at(organisation, starts_in=dt.timedelta(hours=-1), hours=2, title="Koffie")


def claim_on_running(volunteer: User, running: Shift) -> Claim:
    with time_machine.travel(running.starts_at - dt.timedelta(hours=2)):
        return seat(volunteer, running)


# --- reading -----------------------------------------------------------------------------------


def test_panel_shows_time_place_qualifications_and_volunteers_with_phone_and_waitlist_in_order(
    organisation: Organisation, coordinator: User, make_volunteer: Callable[..., User]
) -> None:
    starts = timezone.make_aware(dt.datetime(2031, 5, 6, 14, 0))
    shift = shift_at(organisation, capacity=1, title="Wandeling", description="Met de rolstoel")
    Shift.objects.filter(pk=shift.pk).update(
        starts_at=starts, ends_at=starts + dt.timedelta(hours=2)
    )
    anna = named(make_volunteer(), "Anna", "+32 470 11 22 33")
    ben, cleo = named(make_volunteer(), "Ben"), named(make_volunteer(), "Cleo")
    for person in (anna, ben, cleo):
        seat(person, shift)
    shift.required_qualifications.add(QualificationFactory(organisation=organisation, name="EHBO"))

    html = client_for(coordinator).get(panel_url(shift), **EN).content.decode()

    assert "Tuesday 6 May 2031" in html and "14:00\N{EN DASH}16:00" in html
    assert "Kerkstraat 1, 9000 Gent" in html
    assert "EHBO" in html and "Met de rolstoel" in html
    assert 'href="tel:+32 470 11 22 33"' in html
    assert "1 of 1 confirmed" in html and "2 on the waitlist" in html
    seated, waiting = html.split('id="panel-waitlist"')
    assert "Anna" in seated and "not checked in" in seated
    assert waiting.index("Ben") < waiting.index("Cleo")
    assert "number 1 in line" in waiting and "number 2 in line" in waiting


def test_online_shift_shows_its_meeting_link_to_coordinators(
    organisation: Organisation, coordinator: User
) -> None:
    shift = shift_at(
        organisation, mode="online", address="", meeting_link="https://meet.example/koffie"
    )
    html = client_for(coordinator).get(panel_url(shift), **EN).content.decode()
    assert 'href="https://meet.example/koffie"' in html


def test_board_js_gets_the_panel_alone_and_without_javascript_it_is_a_cockpit_page(
    coordinator: User, shift: Shift
) -> None:
    client = client_for(coordinator)
    fragment = client.get(panel_url(shift), **FETCH)
    page = client.get(panel_url(shift))

    assert fragment["X-Panel"] == "1"
    assert "<html" not in fragment.content.decode()
    assert '<h2 id="panel-title"' in fragment.content.decode()
    assert "X-Panel" not in page
    assert '<nav class="tabs"' in page.content.decode()
    assert '<h1 id="panel-title"' in page.content.decode()
    assert "X-Requested-With" in page["Vary"]


def test_members_on_the_shift_are_not_offered_to_add(
    organisation: Organisation, coordinator: User, shift: Shift, make_volunteer: Callable[..., User]
) -> None:
    on_it = named(make_volunteer(), "Anna")
    free = named(make_volunteer(), "Ben")
    outsider = named(MembershipFactory().user, "Zoe")
    seat(on_it, shift)

    html = client_for(coordinator).get(panel_url(shift)).content.decode()
    options = html.split('id="add-volunteer"')[1].split("</select>")[0]

    assert f'value="{free.pk}"' in options
    assert f'value="{on_it.pk}"' not in options
    assert f'value="{outsider.pk}"' not in options


def test_only_members_the_claim_rules_would_take_are_offered_to_add(
    organisation: Organisation, coordinator: User, make_volunteer: Callable[..., User]
) -> None:
    first_aid = QualificationFactory(organisation=organisation)
    shift = shift_at(organisation, starts_in=dt.timedelta(days=2), capacity=3)
    shift.required_qualifications.add(first_aid)
    qualified, unqualified = named(make_volunteer(), "Anna"), named(make_volunteer(), "Bram")
    VolunteerQualification.objects.create(user=qualified, qualification=first_aid)

    html = client_for(coordinator).get(panel_url(shift), **EN).content.decode()
    options = html.split('id="add-volunteer"')[1].split("</select>")[0]

    assert f'value="{qualified.pk}"' in options
    assert f'value="{unqualified.pk}"' not in options
    # Bram and the coordinator (who holds no first aid either) are counted, not listed.
    assert "2 other members are not listed" in html


@pytest.mark.parametrize("claims", [2, 20])
def test_panel_takes_the_same_number_of_queries_for_2_or_20_volunteers(
    organisation: Organisation,
    coordinator: User,
    make_volunteer: Callable[..., User],
    django_assert_num_queries: Callable[..., object],
    claims: int,
) -> None:
    shift = shift_at(organisation, capacity=10)
    for _ in range(claims):  # beyond 10: the waitlist
        seat(make_volunteer(), shift)
    shift.required_qualifications.add(QualificationFactory(organisation=organisation))
    for _ in range(3):
        make_volunteer()
    client = client_for(coordinator)
    # session, user, organisation, may_manage, may_administer, then the panel: the shift,
    # its claims with names, its qualifications, its open stand-in requests, the members not
    # on it, and the six of
    # Eligibility for those members (profiles, memberships, required and held qualifications,
    # their other shifts, their upcoming claims).
    with django_assert_num_queries(16):
        response = client.get(panel_url(shift), **FETCH)
    assert response.content.decode().count('class="person-row"') == claims


# --- who may -----------------------------------------------------------------------------------


def _every_request(shift: Shift, claim: Claim) -> list[tuple[str, str, dict[str, str]]]:
    return [
        ("get", panel_url(shift), {}),
        ("post", action_url(shift, claim, "check-in"), {}),
        ("post", action_url(shift, claim, "cancel"), {"reason": "x"}),
        ("post", f"{panel_url(shift)}members/", {"volunteer": str(claim.volunteer_id)}),
        ("post", f"{panel_url(shift)}call/", {"text": "Help"}),
    ]


def test_a_volunteer_of_the_organisation_gets_403_everywhere_and_nothing_changes(
    volunteer: User, shift: Shift, make_volunteer: Callable[..., User]
) -> None:
    claim = seat(make_volunteer(), shift)
    client = client_for(volunteer)
    for method, url, data in _every_request(shift, claim):
        assert getattr(client, method)(url, data).status_code == 403, url
    assert fresh(claim).status == ClaimStatus.CONFIRMED
    assert not Notification.objects.filter(kind=Kind.BROADCAST).exists()


def test_a_coordinator_of_another_organisation_gets_403_and_with_their_own_slug_404(
    outsider: User, shift: Shift, make_volunteer: Callable[..., User], other_organisation
) -> None:
    claim = seat(make_volunteer(), shift)
    client = client_for(outsider)
    for method, url, data in _every_request(shift, claim):
        assert getattr(client, method)(url, data).status_code == 403, url
        own = url.replace(
            f"/board/{shift.organisation.slug}/", f"/board/{other_organisation.slug}/"
        )
        assert getattr(client, method)(own, data).status_code == 404, own
    assert fresh(claim).status == ClaimStatus.CONFIRMED
    assert fresh(claim).checked_in_at is None
    assert not Notification.objects.filter(kind=Kind.BROADCAST).exists()


def test_a_claim_of_another_shift_is_not_found_on_this_one_and_nothing_changes(
    organisation: Organisation, coordinator: User, shift: Shift, make_volunteer: Callable[..., User]
) -> None:
    other = shift_at(organisation, starts_in=dt.timedelta(days=3))
    claim = seat(make_volunteer(), other)
    client = client_for(coordinator)
    for action in ("check-in", "no-show", "attended", "check-out", "cancel"):
        assert client.post(action_url(shift, claim, action), {"reason": "x"}).status_code == 404
    assert fresh(claim).status == ClaimStatus.CONFIRMED
    assert fresh(claim).checked_in_at is None


def test_anonymous_visitors_are_asked_to_log_in(shift: Shift) -> None:
    response = Client().get(panel_url(shift))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_actions_need_a_post_with_a_csrf_token(
    coordinator: User, running: Shift, volunteer: User
) -> None:
    claim = claim_on_running(volunteer, running)
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    assert client.get(action_url(running, claim, "check-in")).status_code == 405
    assert client.post(action_url(running, claim, "check-in")).status_code == 403
    assert fresh(claim).checked_in_at is None


# --- check-in, check-out, no-show, attendance --------------------------------------------------


def test_a_coordinator_checks_a_volunteer_in_and_is_sent_back_to_the_page_saying_so(
    coordinator: User, running: Shift, make_volunteer: Callable[..., User]
) -> None:
    claim = claim_on_running(named(make_volunteer(), "Anna"), running)
    client = client_for(coordinator)

    response = client.post(action_url(running, claim, "check-in"), **EN)

    assert response.status_code == 302
    assert response["Location"] == panel_url(running)
    assert fresh(claim).checked_in_at is not None
    page = client.get(response["Location"], **EN).content.decode()
    assert "Anna is checked in." in page
    assert "checked in" in page.split('id="claim-')[1]


def test_with_javascript_the_answer_is_the_panel_with_the_notice(
    coordinator: User, running: Shift, make_volunteer: Callable[..., User]
) -> None:
    claim = claim_on_running(named(make_volunteer(), "Anna"), running)
    client = client_for(coordinator)
    client.post(action_url(running, claim, "check-in"))

    response = client.post(action_url(running, claim, "check-out"), **FETCH, **EN)

    assert response.status_code == 200
    assert response["X-Panel"] == "1"
    html = response.content.decode()
    assert 'role="status"' in html and "Anna is checked out." in html
    assert fresh(claim).status == ClaimStatus.COMPLETED


def test_after_the_shift_a_coordinator_marks_a_no_show_and_confirms_another_came(
    coordinator: User, running: Shift, make_volunteer: Callable[..., User]
) -> None:
    absent = claim_on_running(make_volunteer(), running)
    came = claim_on_running(make_volunteer(), running)
    client = client_for(coordinator)
    with time_machine.travel(running.ends_at + dt.timedelta(minutes=5)):
        assert client.post(action_url(running, absent, "no-show")).status_code == 302
        assert client.post(action_url(running, came, "attended")).status_code == 302
    assert fresh(absent).status == ClaimStatus.NO_SHOW
    assert fresh(came).status == ClaimStatus.COMPLETED
    assert fresh(came).minutes_volunteered == 120


def test_a_no_show_before_the_end_is_refused_in_the_panel_in_dutch_and_nothing_changes(
    coordinator: User, running: Shift, make_volunteer: Callable[..., User]
) -> None:
    claim = claim_on_running(make_volunteer(), running)

    response = client_for(coordinator).post(action_url(running, claim, "no-show"), **FETCH)

    assert response.status_code == 409
    assert response["X-Panel"] == "1"
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Dit kan pas nadat de shift afgelopen is." in html
    assert fresh(claim).status == ClaimStatus.CONFIRMED


def test_an_unknown_action_is_not_found(coordinator: User, running: Shift, volunteer: User) -> None:
    claim = claim_on_running(volunteer, running)
    assert client_for(coordinator).post(action_url(running, claim, "delete")).status_code == 404


# --- cancelling a volunteer's claim ------------------------------------------------------------


def test_a_coordinator_cancels_a_claim_with_a_reason_the_volunteer_is_told(
    coordinator: User, shift: Shift, make_volunteer: Callable[..., User]
) -> None:
    anna = named(make_volunteer(), "Anna")
    VolunteerProfile.objects.filter(user=anna).update(language="fr")
    claim = seat(anna, shift)

    response = client_for(coordinator).post(
        action_url(shift, claim, "cancel"), {"reason": "La cliente est hospitalisée."}, **EN
    )

    assert response.status_code == 302
    claim = fresh(claim)
    assert claim.status == ClaimStatus.CANCELLED
    assert claim.cancelled_by_id == coordinator.pk
    assert claim.cancellation_reason == "La cliente est hospitalisée."
    assert not claim.late_cancellation
    row = Notification.objects.get(kind=Kind.CLAIM_CANCELLED)
    assert (row.user_id, row.payload) == (anna.pk, {"reason": "La cliente est hospitalisée."})


def test_an_empty_reason_is_refused_and_the_notice_says_whether_the_volunteer_will_hear(
    coordinator: User, shift: Shift, make_volunteer: Callable[..., User], settings: Any
) -> None:
    on_telegram, off_telegram = make_volunteer(), make_volunteer()
    VolunteerProfile.objects.filter(user=on_telegram).update(telegram_chat_id=4242)
    claims = [seat(on_telegram, shift), seat(off_telegram, shift)]
    settings.TELEGRAM_BOT_TOKEN = "123:abc"
    client = client_for(coordinator)

    empty = client.post(action_url(shift, claims[0], "cancel"), {"reason": "  "}, **FETCH, **EN)
    told = client.post(action_url(shift, claims[0], "cancel"), {"reason": "Ziek."}, **FETCH, **EN)
    untold = client.post(action_url(shift, claims[1], "cancel"), {"reason": "Ziek."}, **FETCH, **EN)

    assert empty.status_code == 400
    assert "Write why, so that the volunteer knows." in empty.content.decode()
    assert "they get a message with the reason on Telegram" in told.content.decode()
    assert "Inzet cannot tell them now" in untold.content.decode()
    assert [fresh(c).status for c in claims] == [ClaimStatus.CANCELLED] * 2


def test_a_reason_too_long_is_shown_next_to_its_field_and_nothing_changes(
    coordinator: User, shift: Shift, volunteer: User
) -> None:
    claim = seat(volunteer, shift)

    response = client_for(coordinator).post(
        action_url(shift, claim, "cancel"), {"reason": "x" * 501}, **FETCH, **EN
    )

    assert response.status_code == 400
    html = response.content.decode()
    row = html.split(f'id="claim-{claim.pk}"')[1]
    assert '<details class="cancel-claim" open>' in row
    assert f'aria-describedby="reason-{claim.pk}-help reason-{claim.pk}-error"' in row
    assert 'aria-invalid="true"' in row
    assert "Keep the reason to at most 500 characters." in row
    assert "x" * 501 in row  # what they typed stays
    assert fresh(claim).status == ClaimStatus.CONFIRMED


# --- adding a member ---------------------------------------------------------------------------


def test_a_coordinator_adds_a_member_who_gets_a_seat_then_one_who_goes_on_the_waitlist(
    organisation: Organisation, coordinator: User, make_volunteer: Callable[..., User]
) -> None:
    shift = shift_at(organisation, capacity=1)
    anna, ben = named(make_volunteer(), "Anna"), named(make_volunteer(), "Ben")
    client = client_for(coordinator)
    url = f"{panel_url(shift)}members/"

    first = client.post(url, {"volunteer": anna.pk}, **FETCH, **EN).content.decode()
    second = client.post(url, {"volunteer": ben.pk}, **FETCH, **EN).content.decode()
    again = client.post(url, {"volunteer": ben.pk}, **FETCH, **EN).content.decode()

    assert "Anna is on the shift." in first
    assert "Ben is on the waitlist: the shift is full." in second
    assert "Ben was already on this shift." in again
    statuses = dict(Claim.objects.filter(shift=shift).values_list("volunteer_id", "status"))
    assert statuses == {anna.pk: ClaimStatus.CONFIRMED, ben.pk: ClaimStatus.WAITLISTED}


def test_adding_someone_who_is_not_a_member_is_refused(
    coordinator: User, shift: Shift, other_organisation: Organisation
) -> None:
    stranger = MembershipFactory(organisation=other_organisation).user

    response = client_for(coordinator).post(
        f"{panel_url(shift)}members/", {"volunteer": stranger.pk}, **FETCH, **EN
    )

    assert response.status_code == 403
    assert "Only members of this organisation can be added to its shifts." in (
        response.content.decode()
    )
    assert not Claim.objects.filter(shift=shift).exists()


def test_a_rule_of_claiming_refuses_the_member_and_says_so_about_them(
    organisation: Organisation, coordinator: User, shift: Shift, make_volunteer: Callable[..., User]
) -> None:
    anna = named(make_volunteer(), "Anna")
    same_time = shift_at(organisation, starts_in=dt.timedelta(days=2))
    Shift.objects.filter(pk=same_time.pk).update(starts_at=shift.starts_at, ends_at=shift.ends_at)
    seat(anna, same_time)

    response = client_for(coordinator).post(
        f"{panel_url(shift)}members/", {"volunteer": anna.pk}, **FETCH
    )

    assert response.status_code == 409
    assert "Anna heeft op dat moment al een shift." in response.content.decode()
    assert not Claim.objects.filter(shift=shift).exists()


def test_adding_without_choosing_a_member_says_to_choose_one(
    coordinator: User, shift: Shift
) -> None:
    response = client_for(coordinator).post(f"{panel_url(shift)}members/", {}, **FETCH, **EN)
    assert response.status_code == 400
    assert "Choose a member to add." in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()


# --- the urgent call -----------------------------------------------------------------------


def test_an_urgent_call_asks_the_volunteers_who_could_come(
    coordinator: User, shift: Shift, make_volunteer: Callable[..., User]
) -> None:
    on_it = make_volunteer()
    seat(on_it, shift)
    others = [make_volunteer(), make_volunteer()]

    response = client_for(coordinator).post(
        f"{panel_url(shift)}call/", {"text": "Wie kan er nog komen?"}, **FETCH, **EN
    )

    asked = set(
        Notification.objects.filter(kind=Kind.BROADCAST, shift=shift).values_list(
            "user_id", flat=True
        )
    )
    # The volunteers who could come; not the coordinator who sends the call.
    assert asked == {others[0].pk, others[1].pk}
    assert "2 volunteers were asked to help." in response.content.decode()


def test_an_urgent_call_for_a_full_shift_without_waitlist_is_refused(
    organisation: Organisation, coordinator: User, make_volunteer: Callable[..., User]
) -> None:
    shift = shift_at(organisation, capacity=1, waitlist_enabled=False)
    seat(make_volunteer(), shift)
    make_volunteer()

    response = client_for(coordinator).post(
        f"{panel_url(shift)}call/", {"text": "Help"}, **FETCH, **EN
    )

    assert response.status_code == 409
    assert "This shift is full and has no waitlist" in response.content.decode()
    assert not Notification.objects.filter(kind=Kind.BROADCAST).exists()


def test_an_empty_urgent_call_is_refused_next_to_the_message(
    coordinator: User, shift: Shift, volunteer: User
) -> None:
    response = client_for(coordinator).post(
        f"{panel_url(shift)}call/", {"text": "  "}, **FETCH, **EN
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-describedby="call-text-help call-text-error"' in html
    assert "Write a message of 1 to 1000 characters." in html
    assert not Notification.objects.filter(kind=Kind.BROADCAST).exists()


def test_the_panel_says_how_many_people_are_short_in_the_right_number(
    organisation: Organisation, coordinator: User, make_volunteer: Callable[..., User]
) -> None:
    one_short = shift_at(organisation, starts_in=dt.timedelta(days=2), capacity=2)
    two_short = shift_at(organisation, starts_in=dt.timedelta(days=3), capacity=2)
    seat(make_volunteer(), one_short)
    client = client_for(coordinator)

    english = [client.get(panel_url(s), **EN).content.decode() for s in (one_short, two_short)]
    dutch = client.get(panel_url(one_short), HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    assert "Still 1 person short" in english[0]
    assert "Still 2 people short" in english[1]
    assert "Nog 1 persoon tekort" in dutch


def test_check_out_is_offered_from_the_start_only(
    organisation: Organisation, coordinator: User, volunteer: User
) -> None:
    soon = shift_at(organisation, starts_in=dt.timedelta(minutes=20))
    claim = seat(volunteer, soon)
    Claim.objects.filter(pk=claim.pk).update(checked_in_at=timezone.now())
    client = client_for(coordinator)

    before = client.get(panel_url(soon), **EN).content.decode()
    early = client.post(action_url(soon, claim, "check-out"), **FETCH, **EN)
    with time_machine.travel(soon.starts_at + dt.timedelta(minutes=5)):
        after = client.get(panel_url(soon), **EN).content.decode()

    assert action_url(soon, claim, "check-out") not in before
    assert "You can check out once the shift has started." in early.content.decode()
    assert fresh(claim).status == ClaimStatus.CONFIRMED
    assert action_url(soon, claim, "check-out") in after


def test_a_volunteer_asking_for_a_stand_in_is_marked_and_after_the_alert_it_says_so(
    organisation: Organisation, coordinator: User, make_volunteer: Callable[..., User]
) -> None:
    import datetime as dt

    from backend.shifts.models import StandInRequest
    from backend.shifts.services import claim_create, stand_in_ask

    shift = shift_at(organisation, starts_in=dt.timedelta(days=4))
    asking = make_volunteer()
    calm = make_volunteer()
    claim = claim_create(volunteer=asking, shift_id=shift.pk).claim
    claim_create(volunteer=calm, shift_id=shift.pk)
    stand_in_ask(actor=asking, claim_id=claim.pk)
    client = client_for(coordinator)

    html = client.get(panel_url(shift), **FETCH).content.decode()
    row = html[html.index(f'id="claim-{claim.pk}"') :]
    # The coordinator reads the board in Dutch (the default).
    assert "zoekt een vervanger" in row[: row.index("</li>")]
    assert html.count("zoekt een vervanger") == 1

    StandInRequest.objects.update(unfilled_alerted_at=shift.starts_at - dt.timedelta(hours=23))
    html = client.get(panel_url(shift), **FETCH).content.decode()
    assert "nog geen vervanger" in html and "zoekt een vervanger" not in html

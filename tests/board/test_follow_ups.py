"""The cockpit's follow-ups page: the answers that need a coordinator, marked handled with a
note (``follow_up_handle``), and the recently handled ones; for the organisation's coordinators
only, CSRF-protected, in a constant number of queries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from backend.accounts.models import User
from backend.core.errors import FollowUpAlreadyHandled, NotFound, PermissionDenied, ValidationFailed
from backend.notifications.models import ClaimFeedback
from backend.notifications.services import follow_up_handle
from backend.organisations.models import Organisation, Role
from backend.shifts.models import Claim, ClaimStatus
from tests.conftest import client_for as api_client_for
from tests.factories import MembershipFactory, shift_at

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def answer(
    organisation: Organisation,
    *,
    name: str = "Anna",
    score: int = 2,
    comment: str = "",
    days_ago: int = 1,
    needs_follow_up: bool = True,
    phone: str = "",
) -> ClaimFeedback:
    """A volunteer's answer to "How did it go?" on a shift ``days_ago`` days ago."""
    volunteer = MembershipFactory(
        organisation=organisation,
        role=Role.VOLUNTEER,
        user__profile__display_name=name,
        user__profile__phone=phone,
    ).user
    shift = shift_at(organisation, starts_in=-dt.timedelta(days=days_ago), title=f"Shift of {name}")
    claim = Claim.objects.create(
        shift=shift,
        volunteer=volunteer,
        status=ClaimStatus.COMPLETED,
        confirmed_at=shift.starts_at - dt.timedelta(days=2),
        minutes_volunteered=120,
    )
    return ClaimFeedback.objects.create(
        claim=claim,
        score=score,
        comment=comment,
        answered_at=shift.ends_at + dt.timedelta(hours=1),
        needs_follow_up=needs_follow_up,
    )


def url(organisation: Organisation, feedback: ClaimFeedback | None = None) -> str:
    if feedback is None:
        return f"/board/{organisation.slug}/follow-ups/"
    return f"/board/{organisation.slug}/follow-ups/{feedback.pk}/handle/"


def section(html: str, heading_id: str) -> str:
    """The HTML of the <section> labelled by ``heading_id``."""
    start = html.index(f'aria-labelledby="{heading_id}"')
    return html[start : html.index("</section>", start)]


def test_coordinators_see_the_answers_that_need_attention_newest_first(
    organisation: Organisation, coordinator: User, other_organisation: Organisation
) -> None:
    answer(organisation, name="Anna", days_ago=3, comment="Mevrouw viel bijna")
    answer(organisation, name="Bram", days_ago=1, score=1, phone="+32 470 12 34 56")
    answer(organisation, name="Chris", score=5, needs_follow_up=False)
    answer(other_organisation, name="Dirk")

    response = client_for(coordinator).get(url(organisation))

    assert response.status_code == 200
    html = response.content.decode()
    attention = section(html, "open-heading")
    assert attention.index("Bram") < attention.index("Anna")  # newest first
    assert "Mevrouw viel bijna" in attention
    assert "Score 1 van 5" in attention
    assert 'href="tel:+32 470 12 34 56"' in attention
    assert "Chris" not in html  # a good answer needs nobody
    assert "Dirk" not in html  # another organisation's
    assert 'aria-current="page">Opvolging<' in html


def test_marking_an_answer_handled_keeps_the_note_and_moves_it_to_the_handled_list(
    organisation: Organisation, coordinator: User
) -> None:
    feedback = answer(organisation, name="Anna")
    client = client_for(coordinator)

    response = client.post(url(organisation, feedback), {"note": "  Gebeld, alles is in orde.  "})

    assert response.status_code == 302
    assert response["Location"] == url(organisation)
    feedback.refresh_from_db()
    assert feedback.handled_by == coordinator
    assert feedback.handled_note == "Gebeld, alles is in orde."
    assert feedback.handled_at is not None
    html = client.get(url(organisation)).content.decode()
    assert "Anna" not in section(html, "open-heading")
    handled = section(html, "handled-heading")
    assert "Anna" in handled and "Gebeld, alles is in orde." in handled
    assert "Gemarkeerd als afgehandeld" in html  # the message after the redirect


def test_an_empty_note_is_refused_next_to_the_field_and_nothing_changes(
    organisation: Organisation, coordinator: User
) -> None:
    feedback = answer(organisation)

    response = client_for(coordinator).post(url(organisation, feedback), {"note": "   "})

    assert response.status_code == 400
    html = response.content.decode()
    field = re.search(rf'<textarea[^>]*id="note-{feedback.pk}"[^>]*>', html)
    assert field is not None
    assert 'aria-invalid="true"' in field.group(0)
    assert f"note-{feedback.pk}_error" in field.group(0)  # aria-describedby
    errors = re.search(rf'id="note-{feedback.pk}_error">(.*?)</ul>', html, re.S)
    assert errors is not None and "Schrijf wat je gedaan hebt" in errors.group(1)
    feedback.refresh_from_db()
    assert feedback.handled_at is None


def test_an_answer_handled_meanwhile_keeps_the_first_note(
    organisation: Organisation, coordinator: User
) -> None:
    feedback = answer(organisation)
    colleague = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    follow_up_handle(actor=colleague, feedback_id=feedback.pk, note="Ik heb haar gebeld.")

    client = client_for(coordinator)
    response = client.post(url(organisation, feedback), {"note": "Ook gebeld."})

    assert response.status_code == 302
    feedback.refresh_from_db()
    assert (feedback.handled_by, feedback.handled_note) == (colleague, "Ik heb haar gebeld.")
    assert "is al afgehandeld" in client.get(url(organisation)).content.decode()


def test_volunteers_outsiders_and_visitors_see_nothing_and_change_nothing(
    organisation: Organisation,
    volunteer: User,
    outsider: User,
    other_organisation: Organisation,
) -> None:
    feedback = answer(organisation, name="Anna", comment="Geheim")
    note = {"note": "Afgehandeld"}

    for who in (volunteer, outsider):
        client = client_for(who)
        page = client.get(url(organisation))
        assert page.status_code == 403
        assert "Geheim" not in page.content.decode()
        assert client.post(url(organisation, feedback), note).status_code == 403
    # The outsider manages their own organisation, but not this answer: not found there.
    assert client_for(outsider).post(url(other_organisation, feedback), note).status_code == 404
    assert client_for(outsider).get("/board/no-such-place/follow-ups/").status_code == 404
    anonymous = Client()
    assert anonymous.get(url(organisation))["Location"].startswith("/accounts/login/")
    assert anonymous.post(url(organisation, feedback), note).status_code == 302
    # Marking handled is a POST.
    assert client_for(outsider).get(url(other_organisation, feedback)).status_code == 405
    feedback.refresh_from_db()
    assert feedback.handled_at is None


def test_marking_handled_needs_the_csrf_token(
    organisation: Organisation, coordinator: User
) -> None:
    feedback = answer(organisation)
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)

    refused = client.post(url(organisation, feedback), {"note": "Gebeld"})
    assert refused.status_code == 403
    feedback.refresh_from_db()
    assert feedback.handled_at is None

    page = client.get(url(organisation)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    accepted = client.post(
        url(organisation, feedback), {"note": "Gebeld", "csrfmiddlewaretoken": token.group(1)}
    )
    assert accepted.status_code == 302
    feedback.refresh_from_db()
    assert feedback.handled_note == "Gebeld"


@pytest.mark.parametrize("rows", [2, 20])
def test_the_page_takes_the_same_number_of_queries_for_2_or_20_answers(
    organisation: Organisation, coordinator: User, django_assert_num_queries, rows: int
) -> None:
    colleague = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    for i in range(rows):
        feedback = answer(organisation, name=f"V{i}", comment="Moeilijk")
        if i % 2:
            follow_up_handle(actor=colleague, feedback_id=feedback.pk, note=f"Note {i}")
    client = client_for(coordinator)

    # Session, user, organisation, the access check (manage, administer), then for each list
    # the service's own access check and the rows with everything shown.
    with django_assert_num_queries(9):
        response = client.get(url(organisation))

    html = response.content.decode()
    assert html.count('class="follow-up"') == rows // 2
    assert section(html, "handled-heading").count("<tr>") == rows // 2 + 1  # with the head


# --- the service -----------------------------------------------------------------------------


def test_only_the_organisations_coordinators_may_handle_an_answer(
    organisation: Organisation, volunteer: User, outsider: User, other_organisation: Organisation
) -> None:
    feedback = answer(organisation)
    with pytest.raises(PermissionDenied):
        follow_up_handle(actor=volunteer, feedback_id=feedback.pk, note="x")
    with pytest.raises(PermissionDenied):
        follow_up_handle(actor=outsider, feedback_id=feedback.pk, note="x")
    with pytest.raises(NotFound):
        follow_up_handle(
            actor=outsider,
            feedback_id=feedback.pk,
            note="x",
            organisation_id=other_organisation.pk,
        )
    feedback.refresh_from_db()
    assert feedback.handled_at is None


def test_a_note_is_1_to_2000_characters_and_an_answer_is_handled_once(
    organisation: Organisation, coordinator: User
) -> None:
    feedback = answer(organisation)
    good = answer(organisation, score=4, needs_follow_up=False)
    with pytest.raises(ValidationFailed) as too_long:
        follow_up_handle(actor=coordinator, feedback_id=feedback.pk, note="x" * 2001)
    assert list(too_long.value.fields) == ["note"]
    with pytest.raises(NotFound):  # not on the list: nothing to handle
        follow_up_handle(actor=coordinator, feedback_id=good.pk, note="ok")

    before = timezone.now()
    handled = follow_up_handle(actor=coordinator, feedback_id=feedback.pk, note="x" * 2000)
    assert handled.handled_at is not None and handled.handled_at >= before
    with pytest.raises(FollowUpAlreadyHandled):
        follow_up_handle(actor=coordinator, feedback_id=feedback.pk, note="again")


def test_the_apis_follow_up_list_leaves_out_handled_answers(
    organisation: Organisation, coordinator: User
) -> None:
    waiting = answer(organisation, name="Anna")
    done = answer(organisation, name="Bram")
    follow_up_handle(actor=coordinator, feedback_id=done.pk, note="Gebeld")

    response = api_client_for(coordinator).get(
        f"/api/v1/organisations/{organisation.pk}/follow-ups/"
    )

    assert [row["claim"] for row in response.json()] == [waiting.claim_id]

"""Leaving an organisation from /my: choose it, read what leaving cancels, confirm."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.accounts.models import User
from backend.organisations.models import Membership, Organisation, PastMembership, Role
from backend.shifts.models import ClaimStatus
from backend.shifts.services import claim_create
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import FakeTelegram, Person
from tests.factories import MembershipFactory, shift_at

pytestmark = pytest.mark.django_db(transaction=True)


def test_saying_no_keeps_the_membership_and_the_claim(
    organisation: Organisation, other_organisation: Organisation
) -> None:
    anna = telegram_volunteer(organisation, 7321)
    MembershipFactory(user=anna, organisation=other_organisation)
    shift = shift_at(organisation, starts_in=dt.timedelta(days=3), title="Zwemmen")
    claim = claim_create(volunteer=anna, shift_id=shift.pk).claim

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 7321)
        [listing] = await chat.send("/my")
        [choice] = await chat.press(listing.button("Leave an organisation"))
        assert choice.text == "Which organisation do you want to leave?"
        assert choice.buttons == [
            ("Rode Kruis Gent", f"leaveorg:{other_organisation.pk}"),
            ("WZC De Linde", f"leaveorg:{organisation.pk}"),
        ]
        [question] = await chat.press(choice.button("WZC De Linde"), on=choice)
        assert question.method == "editMessageText"
        assert question.text.startswith("Do you want to leave WZC De Linde?")
        assert "These upcoming shifts of yours there will be cancelled:" in question.text
        assert "Zwemmen" in question.text
        [kept] = await chat.press(question.button("No, stay"), on=question)
        assert kept.text == "Fine, you stay a member."

    play(scenario)

    assert Membership.objects.filter(user=anna, organisation=organisation).exists()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CONFIRMED


def test_saying_yes_ends_the_membership_and_cancels_the_upcoming_claim_there(
    organisation: Organisation,
    other_organisation: Organisation,
    make_volunteer,  # type: ignore[no-untyped-def]
) -> None:
    anna = telegram_volunteer(organisation, 7322)
    MembershipFactory(user=anna, organisation=other_organisation)
    shift = shift_at(organisation, starts_in=dt.timedelta(days=3), title="Zwemmen", capacity=1)
    mine = claim_create(volunteer=anna, shift_id=shift.pk).claim
    waiting = claim_create(volunteer=make_volunteer(), shift_id=shift.pk).claim
    elsewhere = claim_create(
        volunteer=anna,
        shift_id=shift_at(other_organisation, starts_in=dt.timedelta(days=4)).pk,
    ).claim

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 7322)
        [choice] = await chat.press("leave")
        [question] = await chat.press(choice.button("WZC De Linde"), on=choice)
        [done] = await chat.press(question.button("Yes, leave"), on=question)
        assert done.text == (
            "You have left WZC De Linde. 1 upcoming shift was cancelled. Thank you for your help!"
        )
        [choice] = await chat.press("leave")
        assert [label for label, _data in choice.buttons] == ["Rode Kruis Gent"]

    play(scenario)

    assert not Membership.objects.filter(user=anna, organisation=organisation).exists()
    assert PastMembership.objects.filter(user=anna, organisation=organisation).exists()
    for claim in (mine, waiting, elsewhere):
        claim.refresh_from_db()
    assert mine.status == ClaimStatus.CANCELLED
    # The seat went to the waitlist; the claim in the other organisation stays.
    assert waiting.status == ClaimStatus.CONFIRMED
    assert elsewhere.status == ClaimStatus.CONFIRMED


def test_a_forged_button_for_an_organisation_one_is_not_in_is_refused(
    organisation: Organisation, other_organisation: Organisation, outsider: User
) -> None:
    telegram_volunteer(organisation, 7323)

    async def scenario(fake: FakeTelegram) -> None:
        mallory = Person(fake, 7323)
        [refusal] = await mallory.press(f"leaveorg:{other_organisation.pk}")
        assert refusal.text == "Not found."
        [refusal] = await mallory.press(f"leaveyes:{other_organisation.pk}")
        assert refusal.text == "Not found."
        [refusal] = await mallory.press("leaveyes:987654")
        assert refusal.text == "Not found."

    play(scenario)

    assert Membership.objects.filter(user=outsider, organisation=other_organisation).exists()
    assert Membership.objects.filter(organisation=organisation).count() == 1


def test_the_last_admin_is_told_why_they_cannot_leave(organisation: Organisation) -> None:
    telegram_volunteer(organisation, 7324, role=Role.ADMIN)

    async def scenario(fake: FakeTelegram) -> None:
        chat = Person(fake, 7324)
        [refusal] = await chat.press(f"leaveyes:{organisation.pk}")
        assert refusal.text == "The last admin cannot leave; make someone else admin first."

    play(scenario)

    assert Membership.objects.filter(organisation=organisation).count() == 1


def test_a_volunteer_without_an_organisation_is_told_so(organisation: Organisation) -> None:
    anna = telegram_volunteer(organisation, 7325)
    Membership.objects.filter(user=anna).delete()

    async def scenario(fake: FakeTelegram) -> None:
        [answer] = await Person(fake, 7325).press("leave")
        assert answer.text == "You are not a member of any organisation."
        assert answer.buttons == []

    play(scenario)

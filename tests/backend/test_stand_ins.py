"""Stand-ins: asking, the waves, the first acceptance winning, withdrawing, the coordinators'
alert, and what closes a request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from pytest_django import Settings

from backend.accounts.models import User
from backend.core.errors import (
    ClaimNotActive,
    NotFound,
    Overlap,
    StandInClosed,
    StandInTaken,
    StandInTooLate,
)
from backend.notifications.models import Kind, Notification
from backend.organisations.models import Organisation, Role
from backend.shifts.models import (
    Claim,
    ClaimStatus,
    Shift,
    StandInAnswer,
    StandInAsk,
    StandInRequest,
    StandInStatus,
)
from backend.shifts.services import (
    claim_cancel,
    claim_create,
    shift_cancel,
    stand_in_accept,
    stand_in_alerts_send,
    stand_in_ask,
    stand_in_decline,
    stand_in_waves_send,
    stand_in_withdraw,
    stand_ins_asked_of,
)
from tests.backend.conftest import MakeVolunteer
from tests.factories import MembershipFactory, shift_at

IN_FOUR_DAYS = dt.timedelta(days=4)


def asked(request: StandInRequest) -> set[int]:
    return set(StandInAsk.objects.filter(request=request).values_list("volunteer_id", flat=True))


def ask_rows(request: StandInRequest) -> set[int]:
    return set(
        Notification.objects.filter(
            kind=Kind.STAND_IN_ASK, payload__request=str(request.pk)
        ).values_list("user_id", flat=True)
    )


@pytest.fixture
def shift(organisation: Organisation) -> Shift:
    return shift_at(organisation, starts_in=IN_FOUR_DAYS, capacity=2)


@pytest.fixture
def requester(shift: Shift, volunteer: User) -> User:
    claim_create(volunteer=volunteer, shift_id=shift.pk)
    return volunteer


def claim_of(user: User, shift: Shift) -> Claim:
    return Claim.objects.get(volunteer=user, shift=shift)


def test_asking_keeps_the_seat_and_asks_the_first_wave_of_five(
    shift: Shift, requester: User, make_volunteer: MakeVolunteer
) -> None:
    others = [make_volunteer() for _ in range(7)]

    request = stand_in_ask(actor=requester, claim_id=claim_of(requester, shift).pk)

    assert claim_of(requester, shift).status == ClaimStatus.CONFIRMED
    assert request.status == StandInStatus.OPEN
    first_wave = asked(request)
    assert len(first_wave) == 5
    assert first_wave <= {u.pk for u in others}
    # Each of them has a message on its way, with the Accept / No thanks buttons.
    assert ask_rows(request) == first_wave


def test_asking_twice_returns_the_open_request(shift: Shift, requester: User) -> None:
    claim_id = claim_of(requester, shift).pk
    assert stand_in_ask(actor=requester, claim_id=claim_id) == stand_in_ask(
        actor=requester, claim_id=claim_id
    )


def test_after_the_deadline_the_normal_cancellation_applies(
    organisation: Organisation, volunteer: User
) -> None:
    soon = shift_at(organisation, starts_in=dt.timedelta(hours=71))
    claim = claim_create(volunteer=volunteer, shift_id=soon.pk).claim

    with pytest.raises(StandInTooLate):
        stand_in_ask(actor=volunteer, claim_id=claim.pk)

    # The organisation's own deadline counts.
    organisation.stand_in_deadline_hours = 48
    organisation.save()
    assert stand_in_ask(actor=volunteer, claim_id=claim.pk).status == StandInStatus.OPEN


def test_only_the_claims_owner_may_ask_and_only_for_a_confirmed_claim(
    shift: Shift, requester: User, make_volunteer: MakeVolunteer
) -> None:
    claim = claim_of(requester, shift)
    with pytest.raises(NotFound):
        stand_in_ask(actor=make_volunteer(), claim_id=claim.pk)
    claim_cancel(actor=requester, claim_id=claim.pk)
    with pytest.raises(ClaimNotActive):
        stand_in_ask(actor=requester, claim_id=claim.pk)


def test_the_waves_ask_only_those_who_could_claim_the_shift(
    organisation: Organisation,
    other_organisation: Organisation,
    shift: Shift,
    requester: User,
    make_volunteer: MakeVolunteer,
) -> None:
    eligible = make_volunteer()
    busy = make_volunteer()
    claim_create(volunteer=busy, shift_id=shift_at(organisation, starts_in=IN_FOUR_DAYS).pk)
    opted_out = make_volunteer()
    opted_out.profile.stand_in_requests = False
    opted_out.profile.save()
    on_it = make_volunteer()
    claim_create(volunteer=on_it, shift_id=shift.pk)
    blocked = make_volunteer()
    blocked.memberships.update(claims_blocked_at=timezone.now())
    elsewhere = make_volunteer(other_organisation)

    request = stand_in_ask(actor=requester, claim_id=claim_of(requester, shift).pk)

    assert asked(request) == {eligible.pk}
    assert {busy.pk, opted_out.pk, on_it.pk, blocked.pk, elsewhere.pk}.isdisjoint(asked(request))


def test_the_waitlist_is_asked_first(
    organisation: Organisation, requester: User, shift: Shift, make_volunteer: MakeVolunteer
) -> None:
    others = [make_volunteer() for _ in range(6)]
    claim_create(volunteer=make_volunteer(), shift_id=shift.pk)  # the second seat
    waiting = make_volunteer()
    claim_create(volunteer=waiting, shift_id=shift.pk)
    assert claim_of(waiting, shift).status == ClaimStatus.WAITLISTED

    request = stand_in_ask(actor=requester, claim_id=claim_of(requester, shift).pk)

    assert waiting.pk in asked(request)
    assert len(asked(request)) == 5
    assert len(asked(request) & {u.pk for u in others}) == 4


def test_the_next_wave_comes_after_two_hours_least_recently_asked_first(
    organisation: Organisation, shift: Shift, requester: User, make_volunteer: MakeVolunteer
) -> None:
    others = [make_volunteer() for _ in range(12)]
    # Three of them were asked for another request last week: they come last.
    earlier_shift = shift_at(organisation, starts_in=dt.timedelta(days=5))
    earlier = StandInRequest.objects.create(
        claim=claim_create(volunteer=make_volunteer(), shift_id=earlier_shift.pk).claim,
        shift=earlier_shift,
        requester=others[0],
        status=StandInStatus.WITHDRAWN,
        created_at=timezone.now(),
    )
    recently = others[:3]
    for user in recently:
        StandInAsk.objects.create(
            request=earlier, volunteer=user, wave=1, asked_at=timezone.now() - dt.timedelta(days=7)
        )

    request = stand_in_ask(actor=requester, claim_id=claim_of(requester, shift).pk)
    first = asked(request)
    assert first.isdisjoint(u.pk for u in recently)

    # Not yet: the wave went out less than two hours ago.
    assert stand_in_waves_send(now=timezone.now() + dt.timedelta(minutes=119)) == 0
    assert stand_in_waves_send(now=timezone.now() + dt.timedelta(hours=2, seconds=1)) == 5
    request.refresh_from_db()
    assert request.waves == 2
    second = asked(request) - first
    assert len(second) == 5
    assert second.isdisjoint(u.pk for u in recently)
    # The third wave reaches those asked recently elsewhere.
    stand_in_waves_send(now=timezone.now() + dt.timedelta(hours=4, seconds=2))
    assert set(u.pk for u in recently) <= asked(request)


def test_when_the_whole_wave_says_no_thanks_the_next_one_goes_at_once(
    shift: Shift, requester: User, make_volunteer: MakeVolunteer
) -> None:
    [make_volunteer() for _ in range(8)]
    request = stand_in_ask(actor=requester, claim_id=claim_of(requester, shift).pk)
    first = sorted(asked(request))
    for user_id in first[:-1]:
        stand_in_decline(actor=User.objects.get(pk=user_id), request_id=request.pk)
    assert stand_in_waves_send() == 0
    stand_in_decline(actor=User.objects.get(pk=first[-1]), request_id=request.pk)

    assert stand_in_waves_send() == 3
    assert len(asked(request)) == 8


def test_the_first_acceptance_wins_and_a_second_is_told_it_is_taken(
    shift: Shift, requester: User, make_volunteer: MakeVolunteer
) -> None:
    anna, bram = make_volunteer(), make_volunteer()
    request = stand_in_ask(actor=requester, claim_id=claim_of(requester, shift).pk)
    assert {anna.pk, bram.pk} <= asked(request)

    taken = stand_in_accept(actor=anna, request_id=request.pk)

    assert taken.status == ClaimStatus.CONFIRMED and taken.volunteer == anna
    given = claim_of(requester, shift)
    assert given.status == ClaimStatus.CANCELLED
    assert not given.late_cancellation  # handed over: never counted against them
    shift.refresh_from_db()
    assert shift.confirmed_count == 1
    request.refresh_from_db()
    assert (request.status, request.taken_by) == (StandInStatus.TAKEN, anna)
    # The requester is told who took over; the stand-in's reminders are planned.
    assert Notification.objects.filter(kind=Kind.STAND_IN_FOUND, user=requester).exists()
    assert Notification.objects.filter(kind=Kind.PLAN, claim=taken).exists()

    # Anna pressing again gets her claim; Bram is told it is taken.
    assert stand_in_accept(actor=anna, request_id=request.pk) == taken
    with pytest.raises(StandInTaken):
        stand_in_accept(actor=bram, request_id=request.pk)
    assert not Claim.objects.filter(volunteer=bram, shift=shift).exists()
    # Nobody is asked any more, and the answered request leaves Bram's list.
    assert stand_in_waves_send(now=timezone.now() + dt.timedelta(hours=3)) == 0
    assert stand_ins_asked_of(user=bram) == []


def test_a_waitlisted_volunteer_who_accepts_leaves_the_waitlist(
    shift: Shift, requester: User, make_volunteer: MakeVolunteer
) -> None:
    claim_create(volunteer=make_volunteer(), shift_id=shift.pk)
    waiting = make_volunteer()
    claim_create(volunteer=waiting, shift_id=shift.pk)
    request = stand_in_ask(actor=requester, claim_id=claim_of(requester, shift).pk)

    stand_in_accept(actor=waiting, request_id=request.pk)

    shift.refresh_from_db()
    assert (shift.confirmed_count, shift.waitlist_count) == (2, 0)
    assert claim_of(waiting, shift).status == ClaimStatus.CONFIRMED


def test_only_those_asked_may_accept(
    shift: Shift, requester: User, make_volunteer: MakeVolunteer
) -> None:
    request = stand_in_ask(actor=requester, claim_id=claim_of(requester, shift).pk)
    not_asked = make_volunteer()  # joined after the wave
    with pytest.raises(NotFound):
        stand_in_accept(actor=not_asked, request_id=request.pk)


def test_an_acceptance_is_judged_again_as_a_claim(
    organisation: Organisation, shift: Shift, requester: User, make_volunteer: MakeVolunteer
) -> None:
    anna = make_volunteer()
    request = stand_in_ask(actor=requester, claim_id=claim_of(requester, shift).pk)
    # Since she was asked, Anna took a shift at the same time.
    same_time = shift_at(organisation, starts_in=IN_FOUR_DAYS)
    claim_create(volunteer=anna, shift_id=same_time.pk)

    with pytest.raises(Overlap):
        stand_in_accept(actor=anna, request_id=request.pk)
    assert claim_of(requester, shift).status == ClaimStatus.CONFIRMED


def test_withdrawing_closes_the_request(
    shift: Shift, requester: User, make_volunteer: MakeVolunteer
) -> None:
    anna = make_volunteer()
    claim = claim_of(requester, shift)
    request = stand_in_ask(actor=requester, claim_id=claim.pk)

    stand_in_withdraw(actor=requester, claim_id=claim.pk)

    with pytest.raises(StandInClosed):
        stand_in_accept(actor=anna, request_id=request.pk)
    assert claim_of(requester, shift).status == ClaimStatus.CONFIRMED
    # Asking again later makes a new request.
    assert stand_in_ask(actor=requester, claim_id=claim.pk).pk != request.pk


def test_cancelling_the_claim_or_the_shift_closes_the_request(
    organisation: Organisation,
    shift: Shift,
    requester: User,
    coordinator: User,
    make_volunteer: MakeVolunteer,
) -> None:
    anna = make_volunteer()
    request = stand_in_ask(actor=requester, claim_id=claim_of(requester, shift).pk)
    claim_cancel(actor=requester, claim_id=claim_of(requester, shift).pk)
    request.refresh_from_db()
    assert request.status == StandInStatus.CLOSED
    with pytest.raises(StandInClosed):
        stand_in_accept(actor=anna, request_id=request.pk)

    other = shift_at(organisation, starts_in=dt.timedelta(days=6))
    claim = claim_create(volunteer=requester, shift_id=other.pk).claim
    second = stand_in_ask(actor=requester, claim_id=claim.pk)
    shift_cancel(actor=coordinator, shift_id=other.pk)
    second.refresh_from_db()
    assert second.status == StandInStatus.CLOSED


def test_nobody_by_a_day_before_the_start_alerts_the_coordinators_once(
    organisation: Organisation,
    shift: Shift,
    requester: User,
    coordinator: User,
    make_volunteer: MakeVolunteer,
) -> None:
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    anna = make_volunteer()
    request = stand_in_ask(actor=requester, claim_id=claim_of(requester, shift).pk)
    stand_in_decline(actor=anna, request_id=request.pk)

    two_days_before = shift.starts_at - dt.timedelta(hours=48)
    assert stand_in_alerts_send(now=two_days_before) == 0
    day_before = shift.starts_at - dt.timedelta(hours=23)
    assert stand_in_alerts_send(now=day_before) == 1
    assert stand_in_alerts_send(now=day_before) == 0

    told = set(
        Notification.objects.filter(kind=Kind.STAND_IN_UNFILLED).values_list("user_id", flat=True)
    )
    assert told == {coordinator.pk, admin.pk}
    request.refresh_from_db()
    assert request.status == StandInStatus.OPEN  # still open until the start
    assert StandInAsk.objects.get(request=request, volunteer=anna).answer == StandInAnswer.DECLINED
    # At the start it closes.
    stand_in_waves_send(now=shift.starts_at)
    request.refresh_from_db()
    assert request.status == StandInStatus.CLOSED


def test_a_volunteer_sees_the_requests_they_are_asked_for(
    shift: Shift, requester: User, make_volunteer: MakeVolunteer, settings: Settings
) -> None:
    anna = make_volunteer()
    request = stand_in_ask(actor=requester, claim_id=claim_of(requester, shift).pk)

    [item] = stand_ins_asked_of(user=anna)
    assert item.request == request and item.shift == shift

    stand_in_decline(actor=anna, request_id=request.pk)
    assert stand_ins_asked_of(user=anna) == []


def test_only_those_who_acknowledged_the_information_note_are_asked(
    organisation: Organisation, make_volunteer: MakeVolunteer
) -> None:
    from backend.organisations.info_note import info_note_acknowledge, info_note_write

    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    note = info_note_write(
        actor=admin,
        organisation_id=organisation.pk,
        material=True,
        purpose="Gezelschap voor de bewoners.",
        legal_form="non_profit",
        insurer="Ethias",
        policy_number="45.123.456",
    )
    requester, read_it, not_yet = make_volunteer(), make_volunteer(), make_volunteer()
    for user in (requester, read_it):
        info_note_acknowledge(
            user=user, organisation_id=organisation.pk, version=note.version, channel="app"
        )
    shift = shift_at(organisation, starts_in=IN_FOUR_DAYS)
    claim = claim_create(volunteer=requester, shift_id=shift.pk).claim

    request = stand_in_ask(actor=requester, claim_id=claim.pk)

    assert read_it.pk in asked(request)
    assert not_yet.pk not in asked(request)
    # The admin wrote the note but never acknowledged it: not asked either.
    assert admin.pk not in asked(request)


def test_what_the_cancel_step_offers_instead_of_cancelling(
    organisation: Organisation, shift: Shift, requester: User
) -> None:
    from backend.shifts.services import hand_over_options

    def options(claim: Claim) -> tuple[bool, bool, bool]:
        found = hand_over_options(
            Claim.objects.select_related("shift__organisation").get(pk=claim.pk), now=timezone.now()
        )
        return found.can_ask, found.asking, found.can_swap

    claim = claim_of(requester, shift)
    assert options(claim) == (True, False, True)
    stand_in_ask(actor=requester, claim_id=claim.pk)
    assert options(claim) == (False, True, True)
    # Past the organisation's deadline: only a swap.
    soon = shift_at(organisation, starts_in=dt.timedelta(hours=30))
    late = claim_create(volunteer=requester, shift_id=soon.pk).claim
    assert options(late) == (False, False, True)
    claim_cancel(actor=requester, claim_id=late.pk)
    assert options(late) == (False, False, False)

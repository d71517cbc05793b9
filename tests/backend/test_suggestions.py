"""Suggestions: at most five shifts of the next 30 days the volunteer can claim, the most urgent
and best fitting first, and never one they cannot claim (each rule has its own test, which
fails if the rule is dropped)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.accounts.models import User, VolunteerProfile
from backend.organisations.info_note import info_note_write
from backend.organisations.models import Membership, Organisation, Role, VolunteerQualification
from backend.shifts.models import Claim, ClaimStatus, Shift, ShiftSeries, ShiftStatus
from backend.shifts.services import claim_cancel, claim_create
from backend.shifts.suggestions import Reason, suggestions_for
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    QualificationFactory,
    UserFactory,
    shift_at,
)

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def titles(user: User, **kwargs: object) -> list[str]:
    return [s.shift.title for s in suggestions_for(user, **kwargs)]  # type: ignore[arg-type]


def reasons(user: User) -> dict[str, tuple[str, ...]]:
    return {s.shift.title: tuple(s.reasons) for s in suggestions_for(user)}


def fill(shift: Shift, seats: int, organisation: Organisation) -> None:
    """Give ``seats`` of ``shift`` to other members."""
    for _ in range(seats):
        other = MembershipFactory(organisation=organisation).user
        claim_create(volunteer=other, shift_id=shift.pk)


def series(organisation: Organisation, title: str) -> ShiftSeries:
    today = timezone.localdate()
    return ShiftSeries.objects.create(
        organisation=organisation,
        title=title,
        capacity=4,
        frequency="weekly",
        weekdays=[0],
        starts_on=today,
        until=today + 60 * DAY,
        start_time=dt.time(14),
        duration_minutes=120,
    )


# --- ranking -------------------------------------------------------------------------------


def test_a_shift_short_of_people_and_soon_comes_before_a_staffed_one_later(organisation, volunteer):
    later = shift_at(organisation, starts_in=10 * DAY, capacity=4, title="later, staffed")
    soon = shift_at(organisation, starts_in=dt.timedelta(hours=20), capacity=4, title="soon")
    fill(later, 3, organisation)

    found = suggestions_for(volunteer)

    assert [s.shift.title for s in found] == ["soon", "later, staffed"]
    # soon: 40 (4 of 4 seats open) + 30 * (168 - 20) // 168 = 26; later: 40 * 1 // 4 = 10 + 0.
    assert [s.score for s in found] == [66, 10]
    assert found[0].reasons == (Reason.SHORT, Reason.SOON)
    assert found[1].reasons == ()
    assert soon.pk == found[0].shift.pk


def test_fewer_open_seats_mean_less_urgency_at_the_same_time(organisation, volunteer):
    half = shift_at(organisation, starts_in=3 * DAY, capacity=4, title="half full")
    empty = shift_at(organisation, starts_in=3 * DAY, capacity=4, title="empty")
    fill(half, 2, organisation)
    assert titles(volunteer) == ["empty", "half full"]
    assert reasons(volunteer)["half full"] == (Reason.SHORT,)  # half the seats still open
    fill(half, 1, organisation)
    assert reasons(volunteer)["half full"] == ()
    assert empty.pk


def test_a_qualification_they_hold_ranks_the_shift_higher(organisation, volunteer):
    first_aid = QualificationFactory(organisation=organisation, name="EHBO")
    VolunteerQualification.objects.create(user=volunteer, qualification=first_aid)
    shift_at(organisation, starts_in=3 * DAY, title="plain")
    needs = shift_at(organisation, starts_in=4 * DAY, title="first aid post")
    needs.required_qualifications.add(first_aid)

    assert titles(volunteer) == ["first aid post", "plain"]
    assert reasons(volunteer)["first aid post"] == (Reason.SHORT, Reason.QUALIFIED)


def test_organisations_and_kinds_of_shift_taken_before_rank_higher(
    organisation, other_organisation, volunteer
):
    Membership.objects.create(user=volunteer, organisation=other_organisation)
    lunch = series(organisation, "Lunch")
    # Taken before: a past (completed) lunch of the series, a confirmed walk to come.
    past = shift_at(organisation, starts_in=-7 * DAY, title="Lunch", series=lunch)
    Claim.objects.create(shift=past, volunteer=volunteer, status=ClaimStatus.COMPLETED)
    walk = shift_at(organisation, starts_in=20 * DAY, title="Wandeling")
    claim_create(volunteer=volunteer, shift_id=walk.pk)
    # Not taken: cancelled and no-show claims do not count.
    elsewhere = shift_at(other_organisation, starts_in=-3 * DAY, title="Bingo")
    Claim.objects.create(shift=elsewhere, volunteer=volunteer, status=ClaimStatus.NO_SHOW)

    shift_at(other_organisation, starts_in=5 * DAY, title="Bingo")
    shift_at(organisation, starts_in=5 * DAY, hours=1, title="Voorlezen")
    shift_at(organisation, starts_in=5 * DAY + dt.timedelta(hours=2), title="  wandeling ")
    shift_at(organisation, starts_in=6 * DAY, title="Middagmaal", series=lunch)

    found = {s.shift.title: s for s in suggestions_for(volunteer)}

    familiar = (Reason.SHORT, Reason.FAMILIAR, Reason.RETURNING)
    assert found["  wandeling "].reasons == familiar  # the same title, spaces and case aside
    assert found["Middagmaal"].reasons == familiar  # the same series, another title
    assert found["Voorlezen"].reasons == (Reason.SHORT, Reason.RETURNING)
    assert found["Bingo"].reasons == (Reason.SHORT,)
    assert titles(volunteer) == ["  wandeling ", "Middagmaal", "Voorlezen", "Bingo"]


def test_a_preferred_mode_is_a_reason_and_the_other_mode_is_never_suggested(
    organisation, volunteer
):
    shift_at(organisation, starts_in=3 * DAY, title="on site")
    shift_at(
        organisation,
        starts_in=3 * DAY,
        title="online",
        mode="online",
        address="",
        meeting_link="https://meet.example.org/x",
    )
    assert sorted(titles(volunteer)) == ["on site", "online"]
    assert reasons(volunteer) == {"on site": (Reason.SHORT,), "online": (Reason.SHORT,)}

    VolunteerProfile.objects.filter(user=volunteer).update(mode_preference="online")
    assert reasons(volunteer) == {"online": (Reason.SHORT, Reason.MODE)}
    VolunteerProfile.objects.filter(user=volunteer).update(mode_preference="on_site")
    assert reasons(volunteer) == {"on site": (Reason.SHORT, Reason.MODE)}


def test_at_most_five_and_equal_scores_by_start(organisation, volunteer):
    now = timezone.now()
    for i in range(7):
        shift_at(organisation, starts_in=(10 + i) * DAY, title=f"shift {i}")
    assert titles(volunteer, now=now) == [f"shift {i}" for i in range(5)]
    assert titles(volunteer, now=now, limit=2) == ["shift 0", "shift 1"]


# --- never a shift they cannot claim -------------------------------------------------------


def test_a_full_shift_is_not_suggested_even_with_its_waitlist_open(organisation, volunteer):
    full = shift_at(organisation, capacity=1, waitlist_enabled=True, title="full")
    fill(full, 1, organisation)
    assert titles(volunteer) == []


def test_a_draft_or_cancelled_shift_is_not_suggested(organisation, coordinator, volunteer):
    shift_at(organisation, status=ShiftStatus.DRAFT, title="draft")
    shift_at(organisation, status=ShiftStatus.CANCELLED, title="cancelled")
    # A coordinator sees their drafts, a member the cancelled shifts: neither is claimable.
    assert titles(coordinator) == []
    assert titles(volunteer) == []


def test_a_shift_that_started_is_not_suggested(organisation, volunteer):
    shift_at(organisation, starts_in=-dt.timedelta(minutes=30), hours=3, title="running")
    assert titles(volunteer) == []


def test_only_the_next_30_days(organisation, volunteer):
    now = timezone.now()
    shift_at(organisation, starts_in=29 * DAY, title="in 29 days")
    shift_at(organisation, starts_in=31 * DAY, title="in 31 days")
    assert titles(volunteer, now=now) == ["in 29 days"]


def test_a_shift_whose_claims_open_later_is_not_suggested(organisation, volunteer):
    later = shift_at(organisation, starts_in=5 * DAY, title="opens later")
    Shift.objects.filter(pk=later.pk).update(claims_open_at=timezone.now() + DAY)
    opened = shift_at(organisation, starts_in=6 * DAY, title="opened")
    Shift.objects.filter(pk=opened.pk).update(claims_open_at=timezone.now() - DAY)
    assert titles(volunteer) == ["opened"]


def test_a_shift_they_hold_or_gave_up_is_not_suggested(organisation, volunteer):
    held = shift_at(organisation, starts_in=3 * DAY, title="held")
    given_up = shift_at(organisation, starts_in=5 * DAY, title="given up")
    claim_create(volunteer=volunteer, shift_id=held.pk)
    taken = claim_create(volunteer=volunteer, shift_id=given_up.pk).claim
    claim_cancel(actor=volunteer, claim_id=taken.pk)
    assert titles(volunteer) == []


def test_members_only_shifts_of_another_organisation_are_not_suggested_public_ones_are(
    organisation, other_organisation, volunteer
):
    shift_at(other_organisation, title="members only")
    shift_at(other_organisation, title="public", visibility="public")
    assert titles(volunteer) == ["public"]


def test_a_member_blocked_after_no_shows_gets_none_of_that_organisation(
    organisation, other_organisation, volunteer
):
    shift_at(organisation, title="blocked here")
    shift_at(other_organisation, starts_in=3 * DAY, title="public elsewhere", visibility="public")
    Membership.objects.filter(user=volunteer).update(claims_blocked_at=timezone.now())
    assert titles(volunteer) == ["public elsewhere"]


def test_too_young_or_of_unknown_age_for_an_age_limit_is_not_suggested(organisation, volunteer):
    shift_at(organisation, title="from 18", min_age=18)
    shift_at(organisation, starts_in=3 * DAY, title="any age")
    # The date of birth is unknown: the age limit cannot be judged, so it is not suggested.
    assert titles(volunteer) == ["any age"]
    seventeen = timezone.localdate() - dt.timedelta(days=int(365.25 * 17.5))
    VolunteerProfile.objects.filter(user=volunteer).update(birth_date=seventeen)
    assert titles(volunteer) == ["any age"]
    VolunteerProfile.objects.filter(user=volunteer).update(birth_date=dt.date(1990, 1, 1))
    assert titles(volunteer) == ["from 18", "any age"]


def test_a_fifteen_year_old_without_the_attestation_gets_nothing(organisation, volunteer):
    shift_at(organisation, title="any age")
    fifteen = timezone.localdate() - dt.timedelta(days=int(365.25 * 15.5))
    VolunteerProfile.objects.filter(user=volunteer).update(birth_date=fifteen)
    assert titles(volunteer) == []
    VolunteerProfile.objects.filter(user=volunteer).update(school_attestation=True)
    assert titles(volunteer) == ["any age"]


def test_a_shift_asking_a_qualification_they_lack_is_not_suggested(organisation, volunteer):
    first_aid = QualificationFactory(organisation=organisation)
    needs = shift_at(organisation, title="needs first aid")
    needs.required_qualifications.add(first_aid)
    held = VolunteerQualification.objects.create(
        user=volunteer, qualification=first_aid, expires_on=timezone.localdate()
    )
    assert titles(volunteer) == []  # expired by the shift's day
    held.expires_on = None
    held.save()
    assert titles(volunteer) == ["needs first aid"]


def test_a_shift_overlapping_one_they_hold_is_not_suggested(organisation, volunteer):
    mine = shift_at(organisation, starts_in=3 * DAY, title="mine")
    claim_create(volunteer=volunteer, shift_id=mine.pk)
    shift_at(organisation, starts_in=3 * DAY + dt.timedelta(hours=1), title="overlapping")
    shift_at(organisation, starts_in=3 * DAY + dt.timedelta(hours=2), title="right after")
    assert titles(volunteer) == ["right after"]


def test_nothing_once_they_hold_the_most_upcoming_claims(organisation, volunteer, settings):
    settings.INZET_MAX_UPCOMING_CLAIMS = 1
    shift_at(organisation, starts_in=3 * DAY, title="free")
    held = shift_at(organisation, starts_in=5 * DAY, title="held")
    assert titles(volunteer) == ["free", "held"]
    claim_create(volunteer=volunteer, shift_id=held.pk)
    assert titles(volunteer) == []


def test_an_information_note_to_read_still_suggests_the_shift(organisation, volunteer):
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    info_note_write(
        actor=admin,
        organisation_id=organisation.pk,
        purpose="We walk with the residents.",
        legal_form="non_profit",
        insurer="Ethias",
        policy_number="45.123.678",
    )
    shift_at(organisation, title="note first")
    # The claim flow shows the note (the bot, then claims; the app on info_note_required).
    assert titles(volunteer) == ["note first"]


def test_someone_without_a_profile_or_an_organisation_gets_public_shifts_only(
    organisation, other_organisation
):
    newcomer = UserFactory()
    VolunteerProfile.objects.filter(user=newcomer).delete()
    shift_at(organisation, title="members only")
    shift_at(other_organisation, title="public", visibility="public")
    assert titles(newcomer) == ["public"]


# --- queries -------------------------------------------------------------------------------


def _queries(user: User) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        found = suggestions_for(user)
    return len(queries), len(found)


def test_a_constant_number_of_queries_whatever_the_candidates_and_the_history(
    organisation, volunteer, make_volunteer
):
    first_aid = QualificationFactory(organisation=organisation)
    VolunteerQualification.objects.create(user=volunteer, qualification=first_aid)
    others = [OrganisationFactory() for _ in range(3)]
    for other in others:
        Membership.objects.create(user=volunteer, organisation=other)

    def add(n: int, offset: int) -> None:
        for i in range(n):
            org = [organisation, *others][i % 4]
            shift = shift_at(org, starts_in=(offset + i) * DAY, title=f"shift {offset + i}")
            if org == organisation:
                shift.required_qualifications.add(first_aid)
            past = shift_at(org, starts_in=-(offset + i) * DAY, title=f"past {offset + i}")
            Claim.objects.create(shift=past, volunteer=volunteer, status=ClaimStatus.COMPLETED)

    add(2, 1)
    few = _queries(volunteer)
    add(20, 3)
    many = _queries(volunteer)
    # The profile, the candidates, their qualifications, Eligibility's six, the history.
    assert few == (10, 2)
    assert many == (10, 5)

"""The age rules of Belgian volunteer law in eligibility: 16 on the shift's local date, or 15
with the school attestation; a shift's own minimum age; the date of birth asked only where an
age rule needs it; the same answer for claiming, promotion and the bot's list."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from backend.accounts.models import User
from backend.accounts.services import profile_update
from backend.core.errors import BirthDateRequired, TooYoung, ValidationFailed
from backend.organisations.models import Organisation
from backend.organisations.services import organisation_update
from backend.shifts.models import ClaimStatus, Shift
from backend.shifts.services import claim_cancel, claim_create
from backend.shifts.services.eligibility import Eligibility, age_on
from tests.factories import MembershipFactory, shift_at

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")


def shift_on(organisation: Organisation, day: dt.date, **fields: object) -> Shift:
    """A shift from 00:30 local time on ``day``: in UTC it starts the day before."""
    starts = dt.datetime.combine(day, dt.time(0, 30), tzinfo=BRUSSELS)
    return shift_at(organisation, starts_in=starts - timezone.now(), hours=1, **fields)


def born(user: User, birth_date: dt.date, *, attestation: bool = False) -> User:
    profile_update(user=user, birth_date=birth_date, school_attestation=attestation)
    return user


def years_before(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year - years)


@pytest.fixture
def day() -> dt.date:
    """A shift day a fortnight ahead (never 29 February)."""
    d = timezone.localdate() + dt.timedelta(days=14)
    return d + dt.timedelta(days=1) if (d.month, d.day) == (2, 29) else d


def test_age_counts_completed_years_and_leap_day_birthdays() -> None:
    assert age_on(dt.date(2010, 12, 2), dt.date(2026, 12, 1)) == 15
    assert age_on(dt.date(2010, 12, 1), dt.date(2026, 12, 1)) == 16
    assert age_on(dt.date(2008, 2, 29), dt.date(2026, 2, 28)) == 17
    assert age_on(dt.date(2008, 2, 29), dt.date(2026, 3, 1)) == 18


def test_sixteen_on_the_shifts_local_day_may_claim_and_the_day_before_may_not(
    organisation: Organisation, make_volunteer, day: dt.date
) -> None:
    shift = shift_on(organisation, day)
    assert shift.starts_at.astimezone(dt.UTC).date() < day  # in UTC, the day before
    sixteen_today = born(make_volunteer(), years_before(day, 16))
    assert claim_create(volunteer=sixteen_today, shift_id=shift.pk).claim.status == "confirmed"
    tomorrow = born(make_volunteer(), years_before(day, 16) + dt.timedelta(days=1))
    with pytest.raises(TooYoung) as refused:
        claim_create(volunteer=tomorrow, shift_id=shift.pk)
    assert refused.value.code == "too_young"


def test_fifteen_needs_the_school_attestation_and_fourteen_never_passes(
    organisation: Organisation, make_volunteer, day: dt.date
) -> None:
    shift = shift_on(organisation, day)
    fifteen = born(make_volunteer(), years_before(day, 15))
    with pytest.raises(TooYoung):
        claim_create(volunteer=fifteen, shift_id=shift.pk)
    born(fifteen, years_before(day, 15), attestation=True)
    assert claim_create(volunteer=fifteen, shift_id=shift.pk).created
    fourteen = born(
        make_volunteer(), years_before(day, 15) + dt.timedelta(days=1), attestation=True
    )
    with pytest.raises(TooYoung):
        claim_create(volunteer=fourteen, shift_id=shift.pk)


def test_a_shifts_minimum_age_asks_more_and_says_how_old(
    organisation: Organisation, make_volunteer, day: dt.date
) -> None:
    shift = shift_on(organisation, day, min_age=18)
    seventeen = born(make_volunteer(), years_before(day, 18) + dt.timedelta(days=1))
    with pytest.raises(TooYoung) as refused:
        claim_create(volunteer=seventeen, shift_id=shift.pk)
    assert "18" in str(refused.value.detail)
    eighteen = born(make_volunteer(), years_before(day, 18))
    assert claim_create(volunteer=eighteen, shift_id=shift.pk).created
    # The attestation does not lower a shift's own minimum of 16.
    sixteen_only = shift_on(organisation, day + dt.timedelta(days=1), min_age=16)
    attested = born(make_volunteer(), years_before(day, 15), attestation=True)
    with pytest.raises(TooYoung):
        claim_create(volunteer=attested, shift_id=sixteen_only.pk)


def test_the_date_of_birth_is_asked_only_where_an_age_rule_needs_it(
    organisation: Organisation, make_volunteer, day: dt.date
) -> None:
    unknown = make_volunteer()
    assert claim_create(volunteer=unknown, shift_id=shift_on(organisation, day).pk).created
    limited = shift_on(organisation, day + dt.timedelta(days=1), min_age=18)
    with pytest.raises(BirthDateRequired) as refused:
        claim_create(volunteer=unknown, shift_id=limited.pk)
    assert refused.value.code == "birth_date_required"
    admin = MembershipFactory(organisation=organisation, role="admin").user
    organisation_update(actor=admin, organisation_id=organisation.pk, requires_birth_date=True)
    plain = shift_on(organisation, day + dt.timedelta(days=2))
    with pytest.raises(BirthDateRequired):
        claim_create(volunteer=make_volunteer(), shift_id=plain.pk)


def test_promotion_skips_a_waitlisted_volunteer_too_young_for_the_new_minimum(
    organisation: Organisation, make_volunteer, coordinator: User, day: dt.date
) -> None:
    shift = shift_on(organisation, day, capacity=1)
    holder = born(make_volunteer(), years_before(day, 30))
    young = born(make_volunteer(), years_before(day, 17))
    older = born(make_volunteer(), years_before(day, 40))
    held = claim_create(volunteer=holder, shift_id=shift.pk).claim
    first = claim_create(volunteer=young, shift_id=shift.pk).claim
    second = claim_create(volunteer=older, shift_id=shift.pk).claim
    Shift.objects.filter(pk=shift.pk).update(min_age=18)
    claim_cancel(actor=holder, claim_id=held.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (ClaimStatus.WAITLISTED, ClaimStatus.CONFIRMED)


def test_eligibility_for_many_gives_the_same_age_answers_as_claiming(
    organisation: Organisation, make_volunteer, day: dt.date
) -> None:
    shift = shift_on(organisation, day, min_age=18)
    people = {
        "adult": born(make_volunteer(), years_before(day, 18)),
        "minor": born(make_volunteer(), years_before(day, 17)),
        "unknown": make_volunteer(),
    }
    shift = Shift.objects.select_related("organisation").get(pk=shift.pk)
    eligibility = Eligibility(volunteer_ids=[p.pk for p in people.values()], shifts=[shift])
    answers = {k: eligibility.error(p.pk, shift) for k, p in people.items()}
    assert answers["adult"] is None
    assert isinstance(answers["minor"], TooYoung)
    assert isinstance(answers["unknown"], BirthDateRequired)


def test_a_date_of_birth_in_the_future_or_130_years_ago_is_refused(volunteer: User) -> None:
    today = timezone.localdate()
    for wrong in (today + dt.timedelta(days=1), today.replace(year=today.year - 130)):
        with pytest.raises(ValidationFailed) as refused:
            profile_update(user=volunteer, birth_date=wrong)
        assert set(refused.value.fields) == {"birth_date"}
    volunteer.profile.refresh_from_db()
    assert volunteer.profile.birth_date is None

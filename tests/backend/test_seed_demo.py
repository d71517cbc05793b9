"""The demo data that ``make run`` loads: a believable week, made through the services."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q, QuerySet, Sum
from django.test import override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from backend.accounts.models import User
from backend.allowances.models import AllowanceCap, AllowanceEntry, AllowancePolicy
from backend.core.errors import InfoNoteRequired
from backend.core.management.commands.seed_demo import (
    COCKPIT_PAGES,
    DEMO_PASSWORD,
    DEMO_SLUG,
    SHIFT_TITLES,
)
from backend.notifications.models import ClaimFeedback
from backend.organisations.info_note import info_note_acknowledge, info_note_read
from backend.organisations.models import (
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    VolunteerQualification,
)
from backend.shifts.models import Claim, ClaimStatus, Shift, ShiftMode, ShiftStatus
from backend.shifts.services import claim_create
from tests.factories import ensure_allowance_caps

CREDENTIALS = re.compile(r"^\s+(staff|coordinator|volunteer)\s+(\S+@\S+)\s+(\S+)", re.MULTILINE)


def seed() -> str:
    out = io.StringIO()
    call_command(
        "seed_demo", "--allow-without-debug", "--base-url=http://localhost:9000", stdout=out
    )
    return out.getvalue()


def table_sizes() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in ("accounts", "organisations", "shifts", "notifications")
        for model in apps.get_app_config(app).get_models()
    }


@pytest.mark.django_db
def test_demo_organisation_is_a_care_facility_in_brussels_time() -> None:
    seed()
    organisation = Organisation.objects.get(slug=DEMO_SLUG)
    assert organisation.name == "WZC De Linde"
    assert organisation.kind == OrganisationKind.CARE_FACILITY
    assert organisation.time_zone == "Europe/Brussels"
    roles = Membership.objects.filter(organisation=organisation).values_list("role", flat=True)
    assert list(roles).count(Role.VOLUNTEER) == 4
    assert list(roles).count(Role.COORDINATOR) == 1


@pytest.mark.django_db
def test_printed_credentials_log_in_and_pass_the_password_validators() -> None:
    output = seed()
    found = CREDENTIALS.findall(output)
    assert [role for role, _, _ in found].count("volunteer") == 4
    assert {role for role, _, _ in found} == {"staff", "coordinator", "volunteer"}
    for _role, email, password in found:
        user = authenticate(email=email, password=password)
        assert user is not None, email
        validate_password(password, user=user)
    staff = User.objects.get(email=found[0][1])
    assert staff.is_staff and staff.is_superuser
    assert "DEMO ONLY" in output
    assert "http://localhost:9000/api/docs/" in output
    assert "http://localhost:9000/admin/" in output
    assert f"http://localhost:9000/board/{DEMO_SLUG}/" in output


def demo_week() -> QuerySet[Shift]:
    """The demo week (the history lies in the past)."""
    return Shift.objects.filter(organisation__slug=DEMO_SLUG, starts_at__gt=timezone.now())


@pytest.mark.django_db
def test_a_published_week_of_shifts_starts_tomorrow_in_local_time() -> None:
    seed()
    zone = ZoneInfo("Europe/Brussels")
    tomorrow = timezone.now().astimezone(zone).date() + dt.timedelta(days=1)
    shifts = list(demo_week())
    days = {shift.starts_at.astimezone(zone).date() for shift in shifts}
    assert days == {tomorrow + dt.timedelta(days=n) for n in range(7)}
    assert all(shift.status == ShiftStatus.PUBLISHED for shift in shifts)
    assert {shift.title for shift in shifts} == SHIFT_TITLES
    lunches = [shift for shift in shifts if shift.title == "Hulp bij het middagmaal"]
    assert {shift.starts_at.astimezone(zone).time() for shift in lunches} == {dt.time(11, 30)}


@pytest.mark.django_db
def test_shifts_mix_on_site_online_qualifications_and_waitlist_off() -> None:
    seed()
    shifts = Shift.objects.filter(organisation__slug=DEMO_SLUG).annotate(
        needs=Count("required_qualifications")
    )
    on_site = shifts.filter(mode=ShiftMode.ON_SITE)
    online = shifts.filter(mode=ShiftMode.ONLINE)
    assert on_site.exists() and not on_site.filter(address="").exists()
    assert online.exists() and not online.filter(meeting_link="").exists()
    assert shifts.filter(needs__gt=0).exists()
    assert shifts.filter(waitlist_enabled=False).exists()
    assert shifts.filter(waitlist_enabled=True).exists()


@pytest.mark.django_db
def test_one_volunteer_holds_every_required_qualification() -> None:
    seed()
    required = set(
        Shift.objects.filter(organisation__slug=DEMO_SLUG).values_list(
            "required_qualifications", flat=True
        )
    ) - {None}
    holders = [
        user
        for user in User.objects.filter(memberships__role=Role.VOLUNTEER)
        if required
        <= set(
            VolunteerQualification.objects.filter(user=user).values_list(
                "qualification_id", flat=True
            )
        )
    ]
    assert len(holders) == 1


@pytest.mark.django_db
def test_seat_counters_match_the_demo_claims() -> None:
    seed()
    # A seat stays taken by a volunteer who came or did not show up (the history's claims).
    taken = [ClaimStatus.CONFIRMED, ClaimStatus.COMPLETED, ClaimStatus.NO_SHOW]
    shifts = Shift.objects.filter(organisation__slug=DEMO_SLUG).annotate(
        confirmed=Count("claims", filter=Q(claims__status__in=taken)),
        waiting=Count("claims", filter=Q(claims__status=ClaimStatus.WAITLISTED)),
    )
    assert Claim.objects.filter(shift__in=demo_week()).count() > 0
    for shift in shifts:
        if shift.status == ShiftStatus.CANCELLED:
            assert (shift.confirmed_count, shift.waitlist_count) == (0, 0)
            continue
        assert (shift.confirmed_count, shift.waitlist_count) == (shift.confirmed, shift.waiting)
    shifts = shifts.filter(starts_at__gt=timezone.now())
    assert any(shift.confirmed_count == shift.capacity for shift in shifts)
    assert any(shift.waitlist_count > 0 for shift in shifts)


@pytest.mark.django_db
def test_a_demo_volunteer_asks_for_a_stand_in_and_other_members_are_asked() -> None:
    from backend.shifts.models import StandInRequest, StandInStatus

    seed()
    [request] = StandInRequest.objects.filter(shift__organisation__slug=DEMO_SLUG)
    assert request.status == StandInStatus.OPEN
    assert request.claim.status == ClaimStatus.CONFIRMED
    assert request.asks.exists()


@pytest.mark.django_db
def test_a_full_demo_shift_takes_a_new_claim_on_the_waitlist_once_the_note_is_read() -> None:
    seed()
    full = demo_week().filter(title="Hulp bij het middagmaal").order_by("starts_at").first()
    assert full is not None and full.waitlist_enabled
    assert full.confirmed_count == full.capacity
    newcomer = Membership.objects.create(
        user=User.objects.create_user("nieuw@example.org", DEMO_PASSWORD),
        organisation=full.organisation,
    ).user
    # The demo organisation has an information note: a newcomer reads it first.
    with pytest.raises(InfoNoteRequired):
        claim_create(volunteer=newcomer, shift_id=full.pk)
    note = info_note_read(user=newcomer, organisation_id=full.organisation_id).note
    assert note.insured and note.allowance_kind == "flat_rate"
    info_note_acknowledge(
        user=newcomer, organisation_id=full.organisation_id, version=note.version, channel="bot"
    )
    result = claim_create(volunteer=newcomer, shift_id=full.pk)
    assert result.claim.status == ClaimStatus.WAITLISTED


@pytest.mark.django_db
def test_running_it_twice_changes_nothing() -> None:
    seed()
    before = table_sizes()
    output = seed()
    assert table_sizes() == before
    assert "nothing changed" in output
    assert len(CREDENTIALS.findall(output)) == 6


@pytest.mark.django_db
def test_a_week_later_it_plans_the_next_demo_week() -> None:
    seed()
    first_week = demo_week().count()
    first_claims = Claim.objects.filter(shift__in=demo_week()).count()
    history = Shift.objects.count() - first_week

    with time_machine.travel(timezone.now() + dt.timedelta(days=9), tick=True):
        output = seed()
        upcoming = Shift.objects.filter(starts_at__gt=timezone.now())
        assert "a new one is planned" in output
        assert upcoming.count() == first_week
        assert Claim.objects.filter(shift__in=upcoming).count() == first_claims
        assert set(upcoming.values_list("title", flat=True)) == set(SHIFT_TITLES)
        assert CREDENTIALS.search(output)

        again = seed()
        assert "nothing changed" in again
        assert Shift.objects.count() == history + 2 * first_week


@pytest.mark.django_db
def test_it_refuses_to_create_public_passwords_without_debug() -> None:
    with override_settings(DEBUG=False), pytest.raises(CommandError):
        call_command("seed_demo", stdout=io.StringIO())
    assert not Organisation.objects.filter(slug=DEMO_SLUG).exists()


# A day late in the year, so that this year has a history of its own whatever today is.
LATE_IN_THE_YEAR = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_the_printed_links_include_the_cockpit_pages_that_exist() -> None:
    output = seed()

    assert "http://localhost:9000/ " in output  # the landing page
    for label, name in COCKPIT_PAGES:
        try:
            path = reverse(name, kwargs={"slug": DEMO_SLUG})
        except NoReverseMatch:
            assert f"{label}:" not in output
            continue
        assert f"{label}:" in output
        assert f"http://localhost:9000{path}" in output


@pytest.mark.django_db
def test_the_history_has_hours_no_shows_and_follow_ups_this_year_and_last() -> None:
    with time_machine.travel(LATE_IN_THE_YEAR, tick=True):
        output = seed()
        now = timezone.now()
    zone = ZoneInfo("Europe/Brussels")
    past = Claim.objects.filter(shift__organisation__slug=DEMO_SLUG, shift__starts_at__lt=now)
    assert "History since" in output
    for year in (2025, 2026):
        claims = past.filter(shift__starts_at__year=year)
        completed = claims.filter(status=ClaimStatus.COMPLETED)
        assert completed.count() > 20, year
        assert not completed.filter(minutes_volunteered__isnull=True).exists()
        assert claims.filter(status=ClaimStatus.NO_SHOW, minutes_volunteered=None).exists()
        assert claims.filter(status=ClaimStatus.CANCELLED, late_cancellation=True).exists()
        feedback = ClaimFeedback.objects.filter(claim__in=claims)
        follow_ups = feedback.filter(needs_follow_up=True)
        assert follow_ups.filter(score__lte=2).exclude(comment="").exists(), year
        assert feedback.filter(score__gte=4).exists()
    assert Shift.objects.filter(status=ShiftStatus.CANCELLED, starts_at__lt=now).exists()
    first = Shift.objects.order_by("starts_at").first()
    assert first is not None and first.starts_at.astimezone(zone).year == 2025
    # Some follow-ups wait for a coordinator (this year's), older ones were handled.
    open_follow_ups = ClaimFeedback.objects.filter(needs_follow_up=True, handled_at=None)
    assert open_follow_ups.count() >= 3
    assert {f.claim.shift.starts_at.year for f in open_follow_ups} == {2026}
    handled = ClaimFeedback.objects.filter(needs_follow_up=True, handled_at__isnull=False)
    assert handled.exclude(handled_note="").filter(claim__shift__starts_at__year=2025).exists()
    # The volunteers were members in both years (the figures count them on 31 December).
    joined = Membership.objects.filter(organisation__slug=DEMO_SLUG, role=Role.VOLUNTEER)
    assert joined.filter(joined_at__year=2025).count() == 3
    assert joined.filter(joined_at__year=2026).count() == 1
    # A recent no-show counts towards the limit, without blocking anyone.
    assert joined.filter(no_show_count=1).count() == 1
    assert not joined.filter(claims_blocked_at__isnull=False).exists()


@pytest.mark.django_db
def test_a_demo_loaded_before_the_history_gets_it_once() -> None:
    seed()
    Shift.objects.filter(starts_at__lt=timezone.now()).delete()
    Membership.objects.update(no_show_count=0)
    assert not Claim.objects.filter(status=ClaimStatus.COMPLETED).exists()

    output = seed()

    assert "Demo history added" in output
    assert Claim.objects.filter(status=ClaimStatus.COMPLETED).exists()
    before = table_sizes()
    assert "nothing changed" in seed()
    assert table_sizes() == before


@pytest.mark.django_db
def test_the_demo_pays_a_flat_rate_and_its_ledger_keeps_the_legal_caps() -> None:
    ensure_allowance_caps()
    seed()
    organisation = Organisation.objects.get(slug=DEMO_SLUG)
    policy = AllowancePolicy.objects.get(organisation=organisation)
    assert (policy.kind, policy.flat_rate_amount) == ("flat_rate", Decimal("15.00"))
    entries = AllowanceEntry.objects.filter(organisation=organisation)
    completed = Claim.objects.filter(
        shift__organisation=organisation, status=ClaimStatus.COMPLETED
    ).count()
    assert 0 < entries.count() <= completed
    per_day = entries.values("volunteer_id", "day").annotate(total=Sum("amount"))
    caps = {c.year: c for c in AllowanceCap.objects.all()}
    assert all(row["total"] <= caps[row["day"].year].daily for row in per_day)
    # Three 15-euro shifts on one day pass the daily cap: the third is lowered.
    assert entries.filter(asked_amount=Decimal("15.00"), amount__lt=Decimal("15.00")).exists()


@pytest.mark.django_db
def test_the_demo_has_its_public_page_on_with_its_public_shift() -> None:
    from django.core.cache import cache
    from django.test import Client

    cache.clear()  # the page is cached per organisation id, which tests reuse
    output = seed()
    organisation = Organisation.objects.get(slug=DEMO_SLUG)
    assert organisation.public_page_enabled and organisation.public_invite is not None
    assert f"/o/{DEMO_SLUG}/" in output
    page = Client().get(f"/o/{DEMO_SLUG}/", {"lang": "nl"})
    assert page.status_code == 200 and "Muziek- en zangnamiddag" in page.content.decode()

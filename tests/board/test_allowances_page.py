"""The allowances page of the cockpit through Django's test client: coordinators see the
policy, the year's caps, each volunteer's totals with what remains and the 80 % warning, the
entries (add, correct, the nominative list as CSV) and the C45B declarations still open to
objection; admins set the policy. The rules are the services'; these tests check that the
page shows their answers.

The texts are checked in English (the msgids); Dutch is the default language. The clock
stands on 15 June 2026 (Brussels), a year with caps: daily 44.02, yearly 1,760.83, higher
3,233.91 euro.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from backend.accounts.models import Benefit, User, VolunteerProfile
from backend.allowances.models import AllowanceEntry, AllowancePolicy, PolicyKind, Regime
from backend.allowances.services import (
    Completed,
    caps_for,
    declaration_add,
    entry_add,
    entry_correct,
    entry_for_completed_claim,
    policy_update,
    year_totals,
    year_totals_of,
)
from backend.organisations.models import Organisation, Role
from backend.shifts.models import Claim, ClaimStatus
from tests.factories import MembershipFactory, ShiftFactory, ensure_allowance_caps

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _june_2026(db: None) -> Iterator[None]:
    ensure_allowance_caps()
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=BRUSSELS), tick=False):
        yield


@pytest.fixture
def admin(organisation: Organisation) -> User:
    return member(organisation, "Hilde Admin", Role.ADMIN)


def member(organisation: Organisation, name: str, role: str = Role.VOLUNTEER) -> User:
    user = MembershipFactory(organisation=organisation, role=role).user
    VolunteerProfile.objects.filter(user=user).update(display_name=name)
    user.refresh_from_db()
    return user


def client_for(user: User | None, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf, HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def page_url(organisation: Organisation, year: int | None = 2026) -> str:
    url = f"/board/{organisation.slug}/allowances/"
    return url if year is None else f"{url}?year={year}"


def add_url(organisation: Organisation) -> str:
    return f"/board/{organisation.slug}/allowances/entries/?year=2026"


def correct_url(organisation: Organisation, entry: AllowanceEntry) -> str:
    return f"/board/{organisation.slug}/allowances/entries/{entry.pk}/correct/?year=2026"


def policy_url(organisation: Organisation) -> str:
    return f"/board/{organisation.slug}/allowances/policy/?year=2026"


def csv_url(organisation: Organisation, year: int = 2026) -> str:
    return f"/board/{organisation.slug}/allowances/nominative-list.csv?year={year}"


def text_of(response: Any) -> str:
    """The page's text without tags, white space folded: what a reader sees."""
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(body))


def table_rows(response: Any, table_class: str) -> list[str]:
    """The text of each body row of the table with ``table_class``."""
    found = re.search(
        rf'<table class="data stack {table_class}">.*?<tbody>(.*?)</tbody>',
        response.content.decode(),
        re.S,
    )
    if found is None:
        return []
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)
    return [
        re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row))).strip() for row in rows
    ]


def field_errors(response: Any, field: str) -> list[str]:
    """The errors shown right under the field's label (its ``<id>_error`` list)."""
    found = re.search(
        rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', response.content.decode(), re.S
    )
    return (
        [html.unescape(e) for e in re.findall(r"<li>(.*?)</li>", found.group(1))] if found else []
    )


def add(
    coordinator: User,
    organisation: Organisation,
    volunteer: User,
    amount: str | None = "15.00",
    *,
    day: dt.date = TODAY,
    regime: str = Regime.FLAT_RATE,
    **values: Any,
) -> AllowanceEntry:
    return entry_add(
        actor=coordinator,
        organisation_id=organisation.pk,
        volunteer_id=volunteer.pk,
        day=day,
        regime=regime,
        amount=Decimal(amount) if amount is not None else None,
        **values,
    )


def declare(volunteer: User, amount: str, regime: str = Regime.FLAT_RATE) -> None:
    """What an organisation outside Inzet paid: it counts towards the same caps."""
    declaration_add(
        volunteer=volunteer,
        year=2026,
        organisation_name="Sportclub Gent",
        regime=regime,
        amount=Decimal(amount),
    )


def entry_form(volunteer: User, **changes: Any) -> dict[str, Any]:
    data = {
        "volunteer": str(volunteer.pk),
        "day": "2026-06-12",
        "regime": Regime.FLAT_RATE,
        "amount": "15.00",
        "km": "",
        "higher_category": "",
        "description": "Wandeling met bewoners",
        **changes,
    }
    return data


# --- reading ------------------------------------------------------------------------------------


def test_a_coordinator_sees_totals_what_remains_and_a_warning_from_80_percent(
    organisation: Organisation, coordinator: User
) -> None:
    anna = member(organisation, "Anna Peeters")
    bert = member(organisation, "Bert Claes")
    member(organisation, "Chris Zonder")  # no entry this year: not listed
    # 1,400 declared from a sports club and 40 here: 1,440 of 1,760.83 (81 %).
    declare(anna, "1400.00")
    add(coordinator, organisation, anna, "40.00")
    add(coordinator, organisation, bert, "25.50", regime=Regime.REAL_COSTS)
    add(coordinator, organisation, bert, "12.00", regime=Regime.TRANSPORT, km=Decimal("30"))

    response = client_for(coordinator).get(page_url(organisation))

    assert response.status_code == 200
    rows = table_rows(response, "volunteers")
    assert len(rows) == 2
    anna_row, bert_row = rows
    assert anna_row.startswith("Anna Peeters Flat-rate allowance")
    assert "€ 1,440.00" in anna_row
    assert "€ 320.83" in anna_row  # 1,760.83 - 1,440.00 under the yearly cap
    assert "2,000 km of transport" in anna_row  # the kilometres that go with a flat rate
    assert "⚠ 81 % of the yearly cap" in anna_row
    assert bert_row.startswith("Bert Claes Real costs")
    assert "€ 25.50" in bert_row
    assert "30 km · € 12.00" in bert_row
    assert "no cap on real costs" in bert_row
    assert "⚠" not in bert_row
    text = text_of(response)
    assert "1 volunteer has reached 80 % of the yearly cap or more." in text
    assert "Chris Zonder" not in " ".join(rows)
    assert 'class="near-cap"' in response.content.decode()


def test_below_80_percent_there_is_no_warning(
    organisation: Organisation, coordinator: User
) -> None:
    anna = member(organisation, "Anna Peeters")
    declare(anna, "1360.00")
    add(coordinator, organisation, anna, "40.00")  # 1,400: 79.5 %

    response = client_for(coordinator).get(page_url(organisation))

    (row,) = table_rows(response, "volunteers")
    assert "✓ 79 % of the yearly cap" in row
    assert "€ 360.83" in row
    assert "reached 80 %" not in text_of(response)


def test_the_page_shows_the_policy_in_words_and_the_years_caps_with_their_source(
    organisation: Organisation, coordinator: User, admin: User
) -> None:
    policy_update(
        actor=admin,
        organisation_id=organisation.pk,
        kind=PolicyKind.FLAT_RATE,
        flat_rate_amount=Decimal("15"),
        flat_rate_per="shift",
        km_rate=Decimal("0.4269"),
    )

    text = text_of(client_for(coordinator).get(page_url(organisation)))

    assert "WZC De Linde pays a flat-rate allowance of € 15.00 per shift." in text
    assert "Transport is paid at € 0.4269 per kilometre." in text
    assert "Legal caps 2026" in text
    assert "Per day € 44.02" in text
    assert "Per year € 1,760.83" in text
    assert "Per year, for the activities the law names € 3,233.91" in text
    assert "Transport with a flat-rate allowance 2,000 km a year" in text
    assert f"Source: {caps_for(2026).source}" in text  # type: ignore[union-attr]
    assert "Admins change the policy." in text


def test_without_a_policy_the_page_says_nothing_is_paid(
    organisation: Organisation, coordinator: User
) -> None:
    text = text_of(client_for(coordinator).get(page_url(organisation)))

    assert "WZC De Linde pays no allowance. Transport by kilometre is not paid." in text
    assert "No entries in 2026 yet." in text


def test_a_year_without_caps_says_nothing_is_capped(
    organisation: Organisation, coordinator: User
) -> None:
    anna = member(organisation, "Anna Peeters")
    add(coordinator, organisation, anna, "60.00", day=dt.date(2022, 5, 1))

    response = client_for(coordinator).get(page_url(organisation, 2022))

    text = text_of(response)
    assert "No legal caps are known for 2022: nothing is capped" in text
    (row,) = table_rows(response, "volunteers")
    assert "€ 60.00" in row
    assert "no caps known" in row
    assert "⚠" not in row


def test_another_year_shows_its_own_caps_and_entries(
    organisation: Organisation, coordinator: User
) -> None:
    anna = member(organisation, "Anna Peeters")
    add(coordinator, organisation, anna, "20.00", day=dt.date(2025, 11, 3))
    add(coordinator, organisation, anna, "15.00")

    response = client_for(coordinator).get(page_url(organisation, 2025))

    text = text_of(response)
    assert "Allowances 2025" in text
    assert "Per day € 42.31" in text
    (entry,) = table_rows(response, "entries")
    assert "3 Nov 2025" in entry
    assert "€ 20.00" in entry
    assert 'href="/board/de-linde/allowances/nominative-list.csv?year=2025"' in (
        response.content.decode()
    )


def test_a_year_outside_the_menu_is_refused_and_this_year_shown(
    organisation: Organisation, coordinator: User
) -> None:
    response = client_for(coordinator).get(page_url(organisation, 1990))

    assert response.status_code == 200
    assert "Allowances 2026" in text_of(response)
    assert 'id="id_year_error"' in response.content.decode()


def test_the_cockpit_navigation_has_the_allowances_tab(
    organisation: Organisation, coordinator: User
) -> None:
    response = client_for(coordinator).get(page_url(organisation))

    nav = re.search(r'<nav class="tabs".*?</nav>', response.content.decode(), re.S)
    assert nav is not None
    assert '<a href="/board/de-linde/allowances/" aria-current="page">Allowances</a>' in (
        nav.group(0)
    )


def test_an_entry_lowered_by_the_caps_says_so_with_what_was_asked(
    organisation: Organisation, coordinator: User, admin: User
) -> None:
    anna = member(organisation, "Anna Peeters")
    policy_update(
        actor=admin,
        organisation_id=organisation.pk,
        kind=PolicyKind.FLAT_RATE,
        flat_rate_amount=Decimal("15"),
    )
    declare(anna, "1750.00")  # 10.83 left under the yearly cap
    starts = dt.datetime(2026, 6, 14, 14, 0, tzinfo=BRUSSELS)
    shift = ShiftFactory(
        organisation=organisation, starts_at=starts, ends_at=starts + dt.timedelta(hours=2)
    )
    claim = Claim.objects.create(shift=shift, volunteer=anna, status=ClaimStatus.COMPLETED)
    entry = entry_for_completed_claim(
        Completed(
            claim_id=claim.pk,
            volunteer_id=anna.pk,
            organisation=organisation,
            starts_at=starts,
            allowance_category="",
        )
    )
    assert entry is not None and entry.asked_amount == Decimal("15.00")

    (row,) = table_rows(client_for(coordinator).get(page_url(organisation)), "entries")

    assert "€ 10.83" in row
    assert "↓ lowered by the caps asked € 15.00" in row


# --- adding -------------------------------------------------------------------------------------


def test_a_coordinator_adds_an_entry(organisation: Organisation, coordinator: User) -> None:
    anna = member(organisation, "Anna Peeters")
    client = client_for(coordinator)
    form = client.get(page_url(organisation)).content.decode()
    assert f'<option value="{anna.pk}">Anna Peeters</option>' in form

    response = client.post(add_url(organisation), entry_form(anna))

    assert response.status_code == 302
    assert response["Location"] == page_url(organisation)
    entry = AllowanceEntry.objects.get()
    assert (entry.volunteer_id, entry.day, entry.amount, entry.created_by_id) == (
        anna.pk,
        dt.date(2026, 6, 12),
        Decimal("15.00"),
        coordinator.pk,
    )
    shown = client.get(response["Location"])
    assert "€ 15.00 for Anna Peeters on 12 Jun 2026 is saved." in text_of(shown)
    (row,) = table_rows(shown, "entries")
    assert "12 Jun 2026 Anna Peeters Flat-rate allowance € 15.00" in row
    assert "Wandeling met bewoners" in row


def test_transport_without_an_amount_is_paid_at_the_organisations_rate(
    organisation: Organisation, coordinator: User, admin: User
) -> None:
    anna = member(organisation, "Anna Peeters")
    policy_update(actor=admin, organisation_id=organisation.pk, km_rate=Decimal("0.4269"))

    response = client_for(coordinator).post(
        add_url(organisation), entry_form(anna, regime=Regime.TRANSPORT, amount="", km="40")
    )

    assert response.status_code == 302
    entry = AllowanceEntry.objects.get()
    assert (entry.regime, entry.km, entry.amount) == (
        Regime.TRANSPORT,
        Decimal("40.0"),
        Decimal("17.08"),
    )


def test_an_amount_above_the_yearly_cap_is_refused_with_what_remains_and_nothing_is_saved(
    organisation: Organisation, coordinator: User
) -> None:
    anna = member(organisation, "Anna Peeters")
    declare(anna, "1750.00")

    response = client_for(coordinator).post(add_url(organisation), entry_form(anna, amount="20"))

    assert response.status_code == 400
    assert AllowanceEntry.objects.count() == 0
    expected = (
        "This amount would pass the legal cap of the volunteer allowance. At most 10.83 euro "
        "is still possible."
    )
    assert field_errors(response, "amount") == [expected]
    assert "Please check the form" in text_of(response)
    # The form keeps what was typed.
    assert 'name="amount" value="20"' in response.content.decode()


def test_a_second_regime_in_the_year_is_refused_next_to_the_regime(
    organisation: Organisation, coordinator: User
) -> None:
    anna = member(organisation, "Anna Peeters")
    add(coordinator, organisation, anna, "15.00")

    response = client_for(coordinator).post(
        add_url(organisation), entry_form(anna, regime=Regime.REAL_COSTS, amount="8")
    )

    assert response.status_code == 400
    assert AllowanceEntry.objects.count() == 1
    (error,) = field_errors(response, "regime")
    assert error.startswith("A volunteer gets either flat-rate allowances or real costs")


def test_someone_who_is_not_a_member_cannot_be_chosen(
    organisation: Organisation, coordinator: User, outsider: User
) -> None:
    response = client_for(coordinator).post(add_url(organisation), entry_form(outsider))

    assert response.status_code == 400
    assert field_errors(response, "volunteer") != []
    assert AllowanceEntry.objects.count() == 0


# --- correcting ---------------------------------------------------------------------------------


def test_a_correction_keeps_the_history_and_the_list_shows_the_new_amount(
    organisation: Organisation, coordinator: User
) -> None:
    anna = member(organisation, "Anna Peeters")
    original = add(coordinator, organisation, anna, "15.00")
    client = client_for(coordinator)
    prefix = f"entry-{original.pk}"

    response = client.post(
        correct_url(organisation, original),
        {f"{prefix}-amount": "12.00", f"{prefix}-reason": "Shift ended an hour early"},
    )

    assert response.status_code == 302
    original.refresh_from_db()
    correction = AllowanceEntry.objects.get(replaces=original)
    assert (correction.amount, correction.reason) == (Decimal("12.00"), "Shift ended an hour early")
    assert AllowanceEntry.objects.count() == 2  # the old entry stays
    shown = client.get(response["Location"])
    assert "The entry of Anna Peeters on 15 Jun 2026 is corrected to € 12.00." in text_of(shown)
    (row,) = table_rows(shown, "entries")
    assert "€ 12.00" in row
    assert "corrected from € 15.00: Shift ended an hour early" in row
    (volunteer_row,) = table_rows(shown, "volunteers")
    assert "€ 12.00" in volunteer_row


def test_a_correction_without_a_reason_is_refused_under_the_field(
    organisation: Organisation, coordinator: User
) -> None:
    anna = member(organisation, "Anna Peeters")
    original = add(coordinator, organisation, anna, "15.00")
    prefix = f"entry-{original.pk}"

    response = client_for(coordinator).post(
        correct_url(organisation, original), {f"{prefix}-amount": "12.00", f"{prefix}-reason": ""}
    )

    assert response.status_code == 400
    assert field_errors(response, f"{prefix}-reason") == ["This field is required."]
    assert re.search(
        rf'<tr id="entry-{original.pk}">.*?<details open>', response.content.decode(), re.S
    )
    assert AllowanceEntry.objects.count() == 1


def test_a_correction_above_the_cap_is_refused_with_what_remains(
    organisation: Organisation, coordinator: User
) -> None:
    anna = member(organisation, "Anna Peeters")
    original = add(coordinator, organisation, anna, "15.00")
    prefix = f"entry-{original.pk}"

    response = client_for(coordinator).post(
        correct_url(organisation, original),
        {f"{prefix}-amount": "50.00", f"{prefix}-reason": "Long day"},
    )

    assert response.status_code == 400
    (error,) = field_errors(response, f"{prefix}-amount")
    assert "At most 44.02 euro is still possible." in error  # the daily cap
    assert AllowanceEntry.objects.count() == 1


def test_an_entry_already_corrected_is_refused_on_top_of_the_page(
    organisation: Organisation, coordinator: User
) -> None:
    anna = member(organisation, "Anna Peeters")
    original = add(coordinator, organisation, anna, "15.00")
    entry_correct(actor=coordinator, entry_id=original.pk, amount=Decimal("14"), reason="typo")
    prefix = f"entry-{original.pk}"

    response = client_for(coordinator).post(
        correct_url(organisation, original),
        {f"{prefix}-amount": "13.00", f"{prefix}-reason": "again"},
    )

    assert response.status_code == 400
    text = text_of(response)
    assert "The correction was not saved." in text
    assert "This entry was corrected already; correct the newest one." in text
    assert AllowanceEntry.objects.count() == 2


def test_another_organisations_entry_cannot_be_corrected_from_this_page(
    organisation: Organisation, other_organisation: Organisation, coordinator: User
) -> None:
    theirs_coordinator = member(other_organisation, "Rita Rood", Role.COORDINATOR)
    theirs = add(theirs_coordinator, other_organisation, member(other_organisation, "Dirk"))
    prefix = f"entry-{theirs.pk}"

    response = client_for(coordinator).post(
        correct_url(organisation, theirs), {f"{prefix}-amount": "1", f"{prefix}-reason": "x"}
    )

    assert response.status_code == 404
    assert AllowanceEntry.objects.count() == 1


# --- the policy ---------------------------------------------------------------------------------


def test_an_admin_sets_the_policy(organisation: Organisation, admin: User) -> None:
    client = client_for(admin)
    assert "Change the policy" in text_of(client.get(page_url(organisation)))

    response = client.post(
        policy_url(organisation),
        {
            "kind": "flat_rate",
            "flat_rate_amount": "12.50",
            "flat_rate_per": "day",
            "km_rate": "0.4",
        },
    )

    assert response.status_code == 302
    policy = AllowancePolicy.objects.get(organisation=organisation)
    assert (policy.kind, policy.flat_rate_amount, policy.flat_rate_per, policy.km_rate) == (
        PolicyKind.FLAT_RATE,
        Decimal("12.50"),
        "day",
        Decimal("0.4000"),
    )
    text = text_of(client.get(response["Location"]))
    assert "The allowance policy is saved." in text
    assert "WZC De Linde pays a flat-rate allowance of € 12.50 per day." in text
    assert "Transport is paid at € 0.40 per kilometre." in text


def test_a_flat_rate_above_the_daily_cap_is_refused_next_to_the_amount(
    organisation: Organisation, admin: User
) -> None:
    response = client_for(admin).post(
        policy_url(organisation),
        {"kind": "flat_rate", "flat_rate_amount": "50", "flat_rate_per": "shift", "km_rate": ""},
    )

    assert response.status_code == 400
    assert field_errors(response, "flat_rate_amount") == [
        "Give an amount from 0 to the daily cap (44.02 euro)."
    ]
    assert not AllowancePolicy.objects.exists()


def test_a_coordinator_cannot_set_the_policy(
    organisation: Organisation, coordinator: User, admin: User
) -> None:
    client = client_for(coordinator)
    assert (
        'action="/board/de-linde/allowances/policy/'
        not in client.get(page_url(organisation)).content.decode()
    )

    response = client.post(
        policy_url(organisation),
        {"kind": "flat_rate", "flat_rate_amount": "10", "flat_rate_per": "shift", "km_rate": "0"},
    )

    assert response.status_code == 403
    assert "Hilde Admin" in text_of(response)  # who the admins are
    assert not AllowancePolicy.objects.exists()


# --- the nominative list ------------------------------------------------------------------------


def test_the_nominative_list_downloads_as_csv(
    organisation: Organisation, coordinator: User
) -> None:
    anna = member(organisation, "Anna Peeters")
    bert = member(organisation, "=Bert")
    add(coordinator, organisation, anna, "15.00", day=dt.date(2026, 3, 2), description="Wandeling")
    corrected = add(coordinator, organisation, bert, "10.00", day=dt.date(2026, 4, 1))
    entry_correct(actor=coordinator, entry_id=corrected.pk, amount=Decimal("8"), reason="typo")
    add(coordinator, organisation, anna, "20.00", day=dt.date(2025, 12, 1))  # another year

    response = client_for(coordinator).get(csv_url(organisation))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="de-linde-allowances-2026.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows == [
        ["name", "date", "amount", "regime", "km", "description"],
        ["Anna Peeters", "2026-03-02", "15.00", "flat_rate", "", "Wandeling"],
        ["'=Bert", "2026-04-01", "8.00", "flat_rate", "", ""],
    ]


def test_the_csv_of_a_year_outside_the_menu_is_refused(
    organisation: Organisation, coordinator: User
) -> None:
    assert client_for(coordinator).get(csv_url(organisation, 1990)).status_code == 400


# --- the C45B declarations ----------------------------------------------------------------------


def test_the_c45b_section_lists_a_member_within_the_objection_period_and_not_one_past_it(
    organisation: Organisation, coordinator: User
) -> None:
    recent = member(organisation, "Anna Recent")
    earlier = member(organisation, "Bert Vroeger")
    member(organisation, "Chris Zonder")
    # Handed in on Wednesday 10 June 2026: 12 working days (not Sundays) end on 24 June.
    VolunteerProfile.objects.filter(user=recent).update(
        benefit=Benefit.UNEMPLOYMENT, c45b_handed_in_on=dt.date(2026, 6, 10)
    )
    # Handed in on 4 May: the period ended on 19 May (Ascension, 14 May, not counted).
    VolunteerProfile.objects.filter(user=earlier).update(
        benefit=Benefit.UNEMPLOYMENT, c45b_handed_in_on=dt.date(2026, 5, 4)
    )

    response = client_for(coordinator).get(page_url(organisation))

    assert table_rows(response, "objections") == ["Anna Recent 10 June 2026 24 June 2026"]
    assert "the RVA may object within 12 working days" in text_of(response)


def test_without_c45b_declarations_the_section_says_so(
    organisation: Organisation, coordinator: User
) -> None:
    text = text_of(client_for(coordinator).get(page_url(organisation)))

    assert "C45B declarations (unemployment benefit)" in text
    assert "No C45B declaration is within its objection period." in text


# --- who may ------------------------------------------------------------------------------------


def test_volunteers_outsiders_and_visitors_may_not_open_the_page(
    organisation: Organisation, volunteer: User, outsider: User, coordinator: User
) -> None:
    anna = member(organisation, "Anna Peeters")
    entry = add(coordinator, organisation, anna)
    prefix = f"entry-{entry.pk}"
    for url in (page_url(organisation), csv_url(organisation)):
        assert client_for(volunteer).get(url).status_code == 403
        assert client_for(outsider).get(url).status_code == 403
        assert client_for(None).get(url).status_code == 302  # to the log-in page
    for who in (volunteer, outsider):
        client = client_for(who)
        assert client.post(add_url(organisation), entry_form(anna)).status_code == 403
        assert (
            client.post(
                correct_url(organisation, entry),
                {f"{prefix}-amount": "1", f"{prefix}-reason": "x"},
            ).status_code
            == 403
        )
        assert client.post(policy_url(organisation), {"kind": "none"}).status_code == 403
    assert client_for(coordinator).get("/board/nobody-here/allowances/").status_code == 404
    assert AllowanceEntry.objects.count() == 1


def test_adding_an_entry_needs_the_csrf_token(
    organisation: Organisation, coordinator: User
) -> None:
    anna = member(organisation, "Anna Peeters")

    response = client_for(coordinator, csrf=True).post(add_url(organisation), entry_form(anna))

    assert response.status_code == 403
    assert AllowanceEntry.objects.count() == 0


# --- bulk reads ---------------------------------------------------------------------------------


def _volunteers_with_entries(
    organisation: Organisation, coordinator: User, count: int, start: int = 0
) -> None:
    for n in range(start, start + count):
        person = member(organisation, f"Vrijwilliger {n:02}")
        add(coordinator, organisation, person, "15.00")
        if n % 2:
            add(coordinator, organisation, person, "10.00", day=dt.date(2026, 6, 1))
            declare(person, "100.00")


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_page_reads_as_many_queries_for_10_volunteers_as_for_2(
    organisation: Organisation, coordinator: User
) -> None:
    client = client_for(coordinator)
    _volunteers_with_entries(organisation, coordinator, 2)
    for_two = _queries(client, page_url(organisation))
    _volunteers_with_entries(organisation, coordinator, 8, start=2)
    for_ten = _queries(client, page_url(organisation))

    # Session, user, organisation, may_manage, may_administer (5); the ledger: organisation,
    # role, may_manage, entries (4); the caps; the totals: entries, declarations (2); the
    # policy; the members to choose from; the C45B list. Corrections' old amounts: none here.
    assert (for_two, for_ten) == (15, 15)
    assert len(client.get(page_url(organisation)).context["volunteers"]) == 10
    # Corrections read the amounts they replaced in one more query, however many.
    for entry in AllowanceEntry.objects.order_by("pk")[:3]:
        entry_correct(actor=coordinator, entry_id=entry.pk, amount=Decimal("9"), reason="x")
    assert _queries(client, page_url(organisation)) == 16


def test_the_bulk_totals_are_those_of_year_totals(
    organisation: Organisation, other_organisation: Organisation, coordinator: User
) -> None:
    theirs = member(other_organisation, "Rita Rood", Role.COORDINATOR)
    flat = member(organisation, "Flat")
    higher = member(organisation, "Sport")
    real = member(organisation, "Real")
    zero = member(organisation, "Zero")
    declared_only = member(organisation, "Declared")
    nothing = member(organisation, "Nothing")
    MembershipFactory(organisation=other_organisation, user=flat)
    add(coordinator, organisation, flat, "30.00")
    add(theirs, other_organisation, flat, "14.02", day=dt.date(2026, 6, 16))
    add(coordinator, organisation, flat, "5.00", regime=Regime.TRANSPORT, km=Decimal("12.5"))
    corrected = add(coordinator, organisation, flat, "20.00", day=dt.date(2026, 2, 1))
    entry_correct(actor=coordinator, entry_id=corrected.pk, amount=Decimal("18"), reason="x")
    declare(flat, "200.00")
    add(coordinator, organisation, higher, "40.00", higher_category="sports")
    add(coordinator, organisation, higher, "30.00", day=dt.date(2026, 6, 1))
    add(coordinator, organisation, real, "99.99", regime=Regime.REAL_COSTS)
    add(coordinator, organisation, real, "3.00", regime=Regime.TRANSPORT, km=Decimal("7"))
    add(coordinator, organisation, zero, "0.00", regime=Regime.REAL_COSTS)
    declare(declared_only, "0.00", regime=Regime.FLAT_RATE)
    add(coordinator, organisation, flat, "9.00", day=dt.date(2025, 6, 1))  # another year
    people = [flat, higher, real, zero, declared_only, nothing]

    bulk = year_totals_of(volunteer_ids=[p.pk for p in people], year=2026, cap=caps_for(2026))

    for person in people:
        one = year_totals(volunteer_id=person.pk, year=2026)
        assert bulk[person.pk] == one, person.profile.display_name
        assert (bulk[person.pk].yearly_room, bulk[person.pk].warn) == (one.yearly_room, one.warn)


def test_a_long_year_lists_the_latest_entries_all_on_asking_or_one_volunteers(
    organisation: Organisation, coordinator: User
) -> None:
    from backend.board.views.allowances import ENTRIES_SHOWN

    anna, bert = member(organisation, "Anna Peeters"), member(organisation, "Bert Claes")
    for n in range(ENTRIES_SHOWN + 5):
        AllowanceEntry.objects.create(
            volunteer=anna if n % 2 else bert,
            organisation=organisation,
            day=dt.date(2026, 1, 1) + dt.timedelta(days=n),
            regime=Regime.REAL_COSTS,
            amount=Decimal("1.00"),
            description=f"bon {n}",
        )
    client = client_for(coordinator)

    def listed(url: str) -> list[str]:
        body = client.get(url).content.decode()
        return re.findall(r"bon (\d+)", body)

    latest = listed(page_url(organisation))
    assert len(latest) == ENTRIES_SHOWN and "0" not in latest and str(ENTRIES_SHOWN + 4) in latest
    assert (
        f"The latest {ENTRIES_SHOWN} of {ENTRIES_SHOWN + 5} entries."
        in client.get(page_url(organisation)).content.decode()
    )
    assert len(listed(page_url(organisation) + "&all=1")) == ENTRIES_SHOWN + 5
    annas = listed(page_url(organisation) + f"&volunteer={anna.pk}")
    assert annas and all(int(n) % 2 for n in annas)

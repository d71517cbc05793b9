"""/allowance: the volunteer's allowances of this year over every organisation, what the legal
caps still leave, the 80 % warning and the latest entries, in the volunteer's language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from backend.accounts.models import User
from backend.allowances.models import AllowanceCap, AllowanceEntry, Regime
from backend.organisations.models import Organisation
from bots import messages
from tests.bots.conftest import play, telegram_volunteer
from tests.bots.fake_telegram import FakeTelegram, Person
from tests.factories import ensure_allowance_caps

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = timezone.localdate().year


def caps_this_year() -> None:
    """The legal caps (2026's figures) as this year's row: the data migration's rows stop at
    2026, and the test must not depend on the year it runs in."""
    ensure_allowance_caps()
    AllowanceCap.objects.update_or_create(
        year=YEAR,
        defaults={
            "daily": Decimal("44.02"),
            "yearly": Decimal("1760.83"),
            "higher_yearly": Decimal("3233.91"),
            "transport_km": 2000,
            "source": "test",
        },
    )


def entry(
    user: User,
    organisation: Organisation,
    day: dt.date,
    amount: str,
    regime: str = Regime.FLAT_RATE,
    km: str | None = None,
) -> None:
    AllowanceEntry.objects.create(
        volunteer=user,
        organisation=organisation,
        day=day,
        regime=regime,
        amount=Decimal(amount),
        km=Decimal(km) if km is not None else None,
    )


def near_the_cap(user: User, organisation: Organisation, other: Organisation) -> None:
    """1,484.56 flat-rate over two organisations (84 % of 1,760.83), and 40 km of transport;
    an entry of last year and a corrected one do not count."""
    entry(user, organisation, dt.date(YEAR, 3, 3), "1000.00")
    entry(user, other, dt.date(YEAR, 4, 4), "484.56")
    entry(user, organisation, dt.date(YEAR, 5, 5), "12.00", Regime.TRANSPORT, km="40.0")
    entry(user, organisation, dt.date(YEAR - 1, 6, 6), "300.00")
    corrected = AllowanceEntry.objects.create(
        volunteer=user,
        organisation=other,
        day=dt.date(YEAR, 2, 2),
        regime=Regime.FLAT_RATE,
        amount=Decimal("99.00"),
    )
    AllowanceEntry.objects.create(
        volunteer=user,
        organisation=other,
        day=dt.date(YEAR, 2, 2),
        regime=Regime.FLAT_RATE,
        amount=Decimal("0.00"),
        replaces=corrected,
        reason="entered twice",
    )


def test_the_year_over_every_organisation_with_what_remains_and_the_warning_in_english(
    organisation: Organisation, other_organisation: Organisation
) -> None:
    caps_this_year()
    anna = telegram_volunteer(organisation, 7101, language="en")
    near_the_cap(anna, organisation, other_organisation)

    async def scenario(fake: FakeTelegram) -> None:
        [answer] = await Person(fake, 7101).send("/allowance")
        assert answer.text == "\n".join(
            [
                f"Your volunteer allowances in {YEAR}, counted over every organisation:",
                "Flat-rate allowances: €1,484.56",
                "Transport: €12.00 for 40 km",
                "",
                "Legal yearly cap: €1,760.83 (at most €44.02 a day).",
                "Still possible this year: €276.27.",
                "Transport by kilometre with flat-rate allowances: 1,960 km still possible.",
                "",
                "Careful: that is 80 % or more of the legal yearly cap, counted over every "
                "organisation. Talk to your organisations before you accept more allowances "
                "this year.",
                "",
                "Latest entries:",
                f"5 May {YEAR} · WZC De Linde · €12.00 · transport, 40 km",
                f"4 Apr {YEAR} · Rode Kruis Gent · €484.56",
                f"3 Mar {YEAR} · WZC De Linde · €1,000.00",
                # The correction that replaced an entry of 99.00.
                f"2 Feb {YEAR} · Rode Kruis Gent · €0.00",
            ]
        )

    play(scenario)


def test_dutch_amounts_are_written_the_dutch_way_with_the_warning(
    organisation: Organisation, other_organisation: Organisation
) -> None:
    caps_this_year()
    bram = telegram_volunteer(organisation, 7102, language="nl")
    near_the_cap(bram, organisation, other_organisation)

    async def scenario(fake: FakeTelegram) -> None:
        [answer] = await Person(fake, 7102).send("/allowance")
        for written in ("1.484,56 €", "276,27 €", "1.760,83 €", "44,02 €", "1.960 km", "12,00 €"):
            assert written in answer.text
        # Dutch writes month names in lower case (backend/core/dates.py).
        assert f"3 mrt {YEAR} · WZC De Linde · 1.000,00 €" in answer.text
        assert messages.allowance_warning("nl") in answer.text
        assert "€1" not in answer.text

    play(scenario)


def test_under_eighty_percent_there_is_no_warning(organisation: Organisation) -> None:
    caps_this_year()
    cora = telegram_volunteer(organisation, 7103, language="nl")
    entry(cora, organisation, dt.date(YEAR, 1, 10), "1234.56")

    async def scenario(fake: FakeTelegram) -> None:
        [answer] = await Person(fake, 7103).send("/allowance")
        assert "1.234,56 €" in answer.text
        # 1,760.83 - 1,234.56
        assert "526,27 €" in answer.text
        assert messages.allowance_warning("nl") not in answer.text

    play(scenario)


def test_without_a_caps_row_for_the_year_the_caps_are_not_known(
    organisation: Organisation,
) -> None:
    AllowanceCap.objects.filter(year=YEAR).delete()
    dirk = telegram_volunteer(organisation, 7104, language="en")
    entry(dirk, organisation, dt.date(YEAR, 1, 10), "30.00")

    async def scenario(fake: FakeTelegram) -> None:
        [answer] = await Person(fake, 7104).send("/allowance")
        assert "Flat-rate allowances: €30.00" in answer.text
        assert (
            f"The legal caps for {YEAR} are not known yet, so I cannot tell what remains."
            in answer.text
        )
        assert "Still possible" not in answer.text
        assert f"10 Jan {YEAR} · WZC De Linde · €30.00" in answer.text

    play(scenario)


def test_a_volunteer_without_allowances_hears_so_and_the_caps(organisation: Organisation) -> None:
    caps_this_year()
    telegram_volunteer(organisation, 7105, language="en")

    async def scenario(fake: FakeTelegram) -> None:
        [answer] = await Person(fake, 7105).send("/allowance")
        assert answer.text.startswith(f"You have had no volunteer allowances in {YEAR} yet.")
        assert "Still possible this year: €1,760.83." in answer.text
        assert "Latest entries" not in answer.text

    play(scenario)


def test_real_costs_have_no_cap(organisation: Organisation) -> None:
    caps_this_year()
    eva = telegram_volunteer(organisation, 7106, language="en")
    entry(eva, organisation, dt.date(YEAR, 2, 1), "1900.00", Regime.REAL_COSTS)

    async def scenario(fake: FakeTelegram) -> None:
        [answer] = await Person(fake, 7106).send("/allowance")
        assert "Real costs against receipts: €1,900.00 (they have no legal cap)" in answer.text
        assert "Flat-rate" not in answer.text and "Careful" not in answer.text
        assert f"1 Feb {YEAR} · WZC De Linde · €1,900.00 · real costs" in answer.text

    play(scenario)


def test_help_and_the_command_menu_list_it(organisation: Organisation) -> None:
    telegram_volunteer(organisation, 7107, language="en")

    async def scenario(fake: FakeTelegram) -> None:
        [helped] = await Person(fake, 7107).send("/help")
        assert (
            "/allowance - your volunteer allowances this year and what remains under the cap"
            in helped.text
        )

    play(scenario)

    for language in ("nl", "en", "fr"):
        assert "allowance" in dict(messages.command_menu(language))


def test_someone_without_an_account_is_told_to_sign_up(db: None) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        [answer] = await Person(fake, 7108, language_code="en").send("/allowance")
        assert answer.text.startswith("You do not have an account yet.")

    play(scenario)

"""The allowances page in a real browser: an admin sees a volunteer near the yearly cap, adds
an entry through the form (refused above the cap first, with what remains), corrects one, and
axe-core finds nothing at desk and phone width. In English: the page's texts are the msgids
until they are translated.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from backend.accounts.models import Benefit, VolunteerProfile
from backend.allowances.models import AllowanceCap, AllowanceEntry, Regime
from backend.allowances.services import (
    caps_for,
    declaration_add,
    entry_add,
    entry_correct,
    policy_update,
)
from backend.organisations.models import Organisation, Role
from tests.board.browser import (  # noqa: F401
    DESK,
    PHONE,
    assert_accessible,
    cockpit,
    fast_password_hashing,
    shots,
)
from tests.factories import MembershipFactory, ensure_allowance_caps

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True), pytest.mark.slow]

db = database_sync_to_async


def _arrange(organisation: Organisation):  # type: ignore[no-untyped-def]
    ensure_allowance_caps()
    today = timezone.now().astimezone(ZoneInfo(organisation.time_zone)).date()
    if caps_for(today.year) is None:  # a year after the data migration's: its caps as 2026's
        cap = caps_for(2026)
        assert cap is not None
        AllowanceCap.objects.create(
            year=today.year,
            daily=cap.daily,
            yearly=cap.yearly,
            higher_yearly=cap.higher_yearly,
            source=cap.source,
        )

    def person(name: str, role: str = Role.VOLUNTEER):  # type: ignore[no-untyped-def]
        return MembershipFactory(
            organisation=organisation, role=role, user__profile__display_name=name
        ).user

    admin = person("Hilde Peeters", Role.ADMIN)
    anna, bert = person("Anna Janssens"), person("Bert Claes")
    chris = person("Chris De Smet")
    policy_update(
        actor=admin,
        organisation_id=organisation.pk,
        kind="flat_rate",
        flat_rate_amount=Decimal("15"),
        km_rate=Decimal("0.4269"),
    )
    # Not today: the entry the test adds today has the whole daily cap.
    day = dt.date(today.year, 1, 2 if today == dt.date(today.year, 1, 1) else 1)

    def add(who, amount: str, regime: str = Regime.FLAT_RATE, **values):  # type: ignore[no-untyped-def]
        return entry_add(
            actor=admin,
            organisation_id=organisation.pk,
            volunteer_id=who.pk,
            day=values.pop("day", day),
            regime=regime,
            amount=Decimal(amount),
            **values,
        )

    add(anna, "40.00", description="Nachtwake")
    # What a sports club paid Anna this year: 1,740 euro in all, 20.83 left under the cap.
    declaration_add(
        volunteer=anna,
        year=today.year,
        organisation_name="Sportclub Gent",
        regime=Regime.FLAT_RATE,
        amount=Decimal("1700.00"),
    )
    add(bert, "25.50", Regime.REAL_COSTS, description="Treinticket Gent-Brugge")
    add(bert, "12.81", Regime.TRANSPORT, km=Decimal("30"), description="Met de wagen")
    typo = add(chris, "15.00", description="Wandeling")
    entry_correct(actor=admin, entry_id=typo.pk, amount=Decimal("12.00"), reason="Korter gebleven")
    VolunteerProfile.objects.filter(user=chris).update(
        benefit=Benefit.UNEMPLOYMENT, c45b_handed_in_on=today - dt.timedelta(days=3)
    )
    return admin, anna, today


async def test_an_admin_adds_and_corrects_entries_and_sees_who_nears_the_cap(
    organisation: Organisation,
) -> None:
    admin, anna, today = await db(_arrange)(organisation)
    url = f"/board/{organisation.slug}/allowances/"
    async with cockpit() as c:
        page = await c.page_for(admin, locale="en-GB")
        await page.goto(c.base + url)
        nav = page.get_by_role("navigation", name="Organisation")
        assert await nav.get_by_role("link", name="Allowances").get_attribute("aria-current") == (
            "page"
        )
        volunteers = page.get_by_role("table", name=f"Totals per volunteer in {today.year}")
        anna_row = volunteers.locator("tr", has_text="Anna Janssens")
        assert "98 % of the yearly cap" in await anna_row.inner_text()
        assert "€ 20.83" in await anna_row.inner_text()
        await page.get_by_text("1 volunteer has reached 80 % of the yearly cap or more.").wait_for()

        # Above the cap: refused with what remains, next to the amount; nothing saved.
        form = page.locator("form.add-form")
        await form.get_by_label("Volunteer").select_option(label="Anna Janssens")
        await form.get_by_label("Day").fill(today.isoformat())
        await form.get_by_label("Flat-rate allowance").check()
        await form.get_by_label("Amount in euro").fill("25")
        await form.get_by_label("Description").fill("Nachtwake")
        await form.get_by_role("button", name="Add the entry").click()
        error = page.locator("#id_amount_error")
        await error.wait_for()
        assert "At most 20.83 euro is still possible." in await error.inner_text()
        assert await form.get_by_label("Amount in euro").get_attribute("aria-invalid") == "true"
        assert await db(AllowanceEntry.objects.filter(volunteer=anna).count)() == 1
        await assert_accessible(page, "allowances-refused")

        await form.get_by_label("Amount in euro").fill("20.83")
        await form.get_by_role("button", name="Add the entry").click()
        await page.get_by_text("for Anna Janssens on").first.wait_for()
        assert await anna_row.locator(".remaining strong").inner_text() == "€ 0.00"

        # Correct Bert's real costs from the row.
        entries = page.get_by_role("table", name=f"Entries of {today.year}")
        bert_row = entries.locator("tr", has_text="Treinticket")
        await bert_row.locator("summary").click()
        await bert_row.get_by_label("New amount in euro").fill("23.40")
        await bert_row.get_by_label("Reason").fill("Ticket met korting")
        await shots(page, "allowances-correcting")
        await bert_row.get_by_role("button", name="Save the correction").click()
        await page.get_by_text("is corrected to € 23.40").wait_for()
        assert (
            "corrected from € 25.50: Ticket met korting"
            in await entries.locator("tr", has_text="Treinticket").inner_text()
        )

        objections = page.get_by_role("table", name="C45B declarations the RVA may still object to")
        assert "Chris De Smet" in await objections.inner_text()
        download = page.get_by_role("link", name="Download the nominative list (CSV)")
        assert await download.get_attribute("href") == (
            f"{url}nominative-list.csv?year={today.year}"
        )

        await assert_accessible(page, "allowances")
        await shots(page, "allowances")
        assert page.errors == []

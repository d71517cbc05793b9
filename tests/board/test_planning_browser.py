"""The planning pages in a real browser (Dutch): a coordinator creates a shift (a refused
form first, then fixed), publishes it and sees it on the live board, changes its capacity,
creates a recurring series and copies a week twice. axe-core checks each form page, the
refused form included, at desk and phone width."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from backend.organisations.models import Organisation
from backend.shifts.models import Shift, ShiftStatus
from tests.board.browser import assert_accessible, cockpit, fast_password_hashing  # noqa: F401

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True), pytest.mark.slow]

db = database_sync_to_async


@db
def shifts(organisation: Organisation) -> list[Shift]:
    return list(Shift.objects.filter(organisation=organisation).order_by("starts_at", "id"))


async def test_coordinator_plans_shifts_a_series_and_a_week_through_the_forms(
    organisation, coordinator
):
    zone = ZoneInfo(organisation.time_zone)
    tomorrow = timezone.now().astimezone(zone).date() + dt.timedelta(days=1)
    base_path = f"/board/{organisation.slug}"
    async with cockpit() as c:
        page = await c.page_for(coordinator)

        # A new shift: the address is missing, so the service refuses it next to the field.
        await page.goto(f"{c.base}{base_path}/shifts/new/")
        await assert_accessible(page, "planning-shift-new")
        await page.fill("#id_title", "Wandeling in het park")
        await page.fill("#id_date", tomorrow.isoformat())
        await page.fill("#id_start_time", "14:00")
        await page.fill("#id_end_time", "16:00")
        await page.fill("#id_capacity", "3")
        await page.get_by_role("button", name="Bewaren en publiceren").click()
        await page.wait_for_selector("#id_address_error")
        assert await page.inner_text("#id_address_error") == (
            "Een shift ter plaatse heeft een adres nodig."
        )
        assert await page.get_attribute("#id_address", "aria-invalid") == "true"
        assert await page.evaluate("document.activeElement.classList.contains('error-summary')")
        await assert_accessible(page, "planning-shift-error")

        # Fixed: published, and on the live board.
        await page.fill("#id_address", "Parkstraat 4, 9000 Gent")
        await page.get_by_role("button", name="Bewaren en publiceren").click()
        await page.wait_for_url(f"**{base_path}/")
        await page.wait_for_selector("#status.live")
        await page.wait_for_selector("#board >> text=Wandeling in het park")
        assert "Bewaard en gepubliceerd: Wandeling in het park" in await page.inner_text(
            ".messages"
        )
        (shift,) = await shifts(organisation)
        assert (shift.status, shift.capacity) == (ShiftStatus.PUBLISHED, 3)

        # Its capacity changes on the edit page.
        await page.goto(f"{c.base}{base_path}/shifts/{shift.pk}/edit/")
        assert await page.input_value("#id_start_time") == "14:00"
        await assert_accessible(page, "planning-shift-edit")
        await page.fill("#id_capacity", "5")
        await page.get_by_role("button", name="Wijzigingen bewaren").click()
        await page.wait_for_url(f"**{base_path}/")
        (shift,) = await shifts(organisation)
        assert shift.capacity == 5

        # Cancelling asks first (nothing is cancelled by looking).
        await page.goto(f"{c.base}{base_path}/shifts/{shift.pk}/cancel/")
        assert "Nog niemand heeft zich ingeschreven" in await page.inner_text("main")
        await assert_accessible(page, "planning-shift-cancel")

        # A series on Mondays and Wednesdays, three weeks after tomorrow's week.
        first = tomorrow + dt.timedelta(days=21 - tomorrow.weekday())  # a Monday
        await page.goto(f"{c.base}{base_path}/series/new/")
        await page.fill("#id_title", "Voorlezen")
        await page.check("#id_weekdays_0")
        await page.check("#id_weekdays_2")
        await page.fill("#id_starts_on", first.isoformat())
        await page.fill("#id_until", (first + dt.timedelta(days=13)).isoformat())
        await page.fill("#id_start_time", "10:00")
        await page.fill("#id_end_time", "11:30")
        await page.get_by_role("button", name="Toon de datums").click()
        await page.wait_for_selector("text=Deze reeks maakt 4 shifts aan.")
        await page.fill("#id_address", "Bibliotheek, Kouter 1")
        await page.fill("#id_capacity", "2")
        await assert_accessible(page, "planning-series")
        await page.get_by_role("button", name="Aanmaken en publiceren").click()
        await page.wait_for_url(f"**{base_path}/")
        assert "Reeks Voorlezen aangemaakt: 4 shifts, gepubliceerd." in await page.inner_text(
            ".messages"
        )

        # Copying tomorrow's week twice: the second time creates nothing and says so.
        await page.goto(f"{c.base}{base_path}/copy-week/")
        await page.fill("#id_from_week", tomorrow.isoformat())
        await page.fill("#id_to_week", (tomorrow + dt.timedelta(days=14)).isoformat())
        await page.get_by_role("button", name="Kopieer de week").click()
        await page.wait_for_selector("text=1 shift gekopieerd")
        await page.get_by_role("button", name="Kopieer de week").click()
        await page.wait_for_selector("text=Geen nieuwe shifts: deze shifts bestaan al")
        await assert_accessible(page, "planning-copy-week")

        # The copy is a draft, waiting on the drafts page.
        await page.goto(f"{c.base}{base_path}/planning/")
        assert await page.locator("table a", has_text="Wandeling in het park").count() == 1
        await assert_accessible(page, "planning-drafts")

        all_shifts = await shifts(organisation)
        assert len(all_shifts) == 1 + 4 + 1
        assert page.errors == []

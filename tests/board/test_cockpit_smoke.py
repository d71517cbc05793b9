"""The cockpit frame in a real browser: the board page has the organisation's navigation."""

from __future__ import annotations

import pytest

from tests.board.browser import assert_accessible, cockpit, fast_password_hashing  # noqa: F401

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True), pytest.mark.slow]


async def test_board_page_has_the_cockpit_navigation(organisation, coordinator):
    async with cockpit() as c:
        page = await c.page_for(coordinator)
        await page.goto(f"{c.base}/board/{organisation.slug}/")
        await page.wait_for_selector("#status.live")
        nav = page.get_by_role("navigation", name="Organisatie")
        assert await nav.get_by_role("link", name="Bord").get_attribute("aria-current") == "page"
        await assert_accessible(page, "cockpit-board")
        assert page.errors == []


async def test_the_board_in_english_writes_day_month_and_a_24_hour_clock(organisation, coordinator):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from channels.db import database_sync_to_async
    from django.utils import timezone

    from tests.factories import ShiftFactory

    brussels = ZoneInfo("Europe/Brussels")
    day = timezone.localdate() + dt.timedelta(days=2)
    starts = dt.datetime.combine(day, dt.time(14, 0), tzinfo=brussels)
    await database_sync_to_async(ShiftFactory)(
        organisation=organisation,
        title="Wandeling",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
    )
    async with cockpit() as c:
        page = await c.page_for(coordinator, locale="en-GB")
        await page.goto(f"{c.base}/board/{organisation.slug}/")
        await page.wait_for_selector("#status.live")
        card = page.locator("article.shift", has_text="Wandeling")
        times = await card.locator(".time").inner_text()
        heading = f"{day:%A} {day.day} {day:%B}"

        assert times == "14:00\u201316:00"
        await page.get_by_role("heading", name=heading).wait_for()


async def test_a_finished_shift_says_so_and_is_not_short_of_people(organisation, coordinator):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from channels.db import database_sync_to_async
    from django.utils import timezone

    from tests.factories import ShiftFactory

    # Today's first minutes, local time: over (unless the test runs in them), and on the board.
    midnight = dt.datetime.combine(
        timezone.localdate(), dt.time(0, 0), tzinfo=ZoneInfo("Europe/Brussels")
    )
    make = database_sync_to_async(ShiftFactory)
    await make(
        organisation=organisation,
        title="Vroege ronde",
        starts_at=midnight + dt.timedelta(minutes=1),
        ends_at=midnight + dt.timedelta(minutes=2),
        capacity=2,
    )
    later = timezone.now() + dt.timedelta(days=1)
    await make(
        organisation=organisation,
        title="Latere ronde",
        starts_at=later,
        ends_at=later + dt.timedelta(hours=1),
        capacity=2,
    )
    async with cockpit() as c:
        page = await c.page_for(coordinator, locale="en-GB")
        await page.goto(f"{c.base}/board/{organisation.slug}/?filter=all")
        await page.wait_for_selector("#status.live")
        early = page.locator("article.shift", has_text="Vroege ronde")

        assert await early.locator(".badge.over").inner_text() == "Over"
        await page.get_by_label("Short of people").check()
        await page.locator("article.shift", has_text="Latere ronde").wait_for()
        assert not await early.is_visible()

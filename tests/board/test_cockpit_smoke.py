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

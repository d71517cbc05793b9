"""The board in a real browser: headless Chromium (Debian's) driven by Playwright.

Everything runs for real: Daphne with its own Redis, the login form, the websocket, a claim
through the REST API. The screenshots land in test-artifacts/ (gitignored).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import httpx
import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from tests.conftest import require_service
from tests.factories import PASSWORD, ShiftFactory
from tests.realtime.conftest import access_token
from tests.realtime.live import ARTIFACTS, private_redis, running_daphne

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True), pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
HAVE_CHROMIUM = CHROMIUM.exists()
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

db = database_sync_to_async


@pytest.fixture(autouse=True)
def fast_password_hashing() -> None:
    """Overrides the suite's fast hasher: the Daphne under test runs with the real hashers,
    so the coordinator's password must be hashed with them to log in through the form."""


async def test_board_shows_a_claim_made_through_the_api_within_two_seconds(
    organisation, coordinator, make_volunteer
):
    require_service("Debian's chromium", HAVE_CHROMIUM)
    import playwright.async_api as playwright_api  # a dev dependency: missing is a failure

    @db
    def arrange():  # type: ignore[no-untyped-def]
        soon = timezone.now() + dt.timedelta(hours=5)
        urgent = ShiftFactory(
            organisation=organisation,
            title="Wandeling met bewoners",
            starts_at=soon,
            ends_at=soon + dt.timedelta(hours=2),
            capacity=3,
        )
        later = timezone.now() + dt.timedelta(days=2)
        ShiftFactory(
            organisation=organisation,
            title="Belronde",
            mode="online",
            meeting_link="https://meet.example/belronde",
            address="",
            starts_at=later,
            ends_at=later + dt.timedelta(hours=1),
            capacity=2,
        )
        return urgent, make_volunteer()

    shift, volunteer = await arrange()
    ARTIFACTS.mkdir(exist_ok=True)
    with private_redis() as redis_server, running_daphne(redis_server.url) as port:
        base = f"http://127.0.0.1:{port}"
        async with playwright_api.async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
            try:
                page = await browser.new_page(
                    locale="nl-BE", viewport={"width": 1100, "height": 800}
                )
                errors: list[str] = []
                page.on("pageerror", lambda error: errors.append(str(error)))
                await page.goto(f"{base}/board/{organisation.slug}/")
                # Not logged in: the login form, then back to the board.
                await page.fill("#id_username", coordinator.email)
                await page.fill("#id_password", PASSWORD)
                await page.click("button[type=submit].primary")
                await page.wait_for_url(f"**/board/{organisation.slug}/")
                await page.wait_for_selector("#status.live", timeout=5000)

                card = page.locator(f'[data-shift-id="{shift.pk}"]')
                assert await card.locator(".count").inner_text() == "0 / 3"
                assert "urgent" in (await card.get_attribute("class") or "")
                await page.evaluate("window.__notReloaded = true")

                async with httpx.AsyncClient(base_url=base) as api:
                    response = await api.post(
                        f"/api/v1/shifts/{shift.pk}/claim/",
                        headers={"Authorization": f"Bearer {access_token(volunteer)}"},
                    )
                assert response.status_code in (200, 201), response.text
                claimed_at = time.monotonic()
                await page.wait_for_function(
                    f"""document.querySelector('[data-shift-id="{shift.pk}"] .count')
                        .textContent === '1 / 3'""",
                    timeout=2000,
                )
                assert time.monotonic() - claimed_at < 2
                assert await page.evaluate("window.__notReloaded === true")
                assert volunteer.profile.display_name in await card.inner_text()
                await page.wait_for_function(
                    "document.getElementById('announcer').textContent.includes('1 van 3')",
                    timeout=2000,
                )
                await page.screenshot(path=str(ARTIFACTS / "board.png"), full_page=True)

                # Keyboard: Tab reaches the shift cards (after the header controls, the
                # organisation's navigation and the board's filter).
                for _ in range(30):
                    await page.keyboard.press("Tab")
                    focused = await page.evaluate("document.activeElement.dataset.shiftId")
                    if focused:
                        break
                assert focused == str(shift.pk)
                assert errors == []

                phone = await browser.new_page(
                    locale="nl-BE", viewport={"width": 390, "height": 844}, is_mobile=True
                )
                await phone.context.add_cookies(await page.context.cookies())
                await phone.goto(f"{base}/board/{organisation.slug}/")
                await phone.wait_for_selector("#status.live", timeout=5000)
                await phone.screenshot(path=str(ARTIFACTS / "board-phone.png"), full_page=True)
            finally:
                await browser.close()

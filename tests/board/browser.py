"""Drive the cockpit in a real browser: Debian's headless Chromium through Playwright.

``cockpit()`` starts a private Redis and a Daphne on the test database, opens Chromium and
yields a ``Cockpit`` with its base URL. Helpers log a user in, take screenshots at the two
widths a coordinator uses (a 1280 px desk screen and a 390 px phone) into test-artifacts/, and
run axe-core (the copy bundled by ``axe-playwright-python``) on the page.

Tests that use it need ``pytest.mark.django_db(transaction=True)`` (Daphne reads what the test
wrote) and must import ``fast_password_hashing`` from here (see its docstring).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_service
from tests.factories import PASSWORD
from tests.realtime.live import ARTIFACTS, private_redis, running_daphne

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Date inputs follow the browser's language, not the page's: Belgian dates (dd/mm/yyyy).
    "--lang=nl-BE",
]
DESK = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
HAVE_CHROMIUM = CHROMIUM.exists()
AXE_JS = resources.files("axe_playwright_python").joinpath("axe.min.js")


@dataclass
class Cockpit:
    base: str
    browser: Any  # playwright.async_api.Browser
    pages: list[Any] = field(default_factory=list)

    async def page_for(
        self, user: Any | None, *, locale: str = "nl-BE", viewport: dict[str, int] = DESK
    ) -> Any:
        """A new browser context (its own cookies), logged in as ``user`` unless None. Page
        errors (uncaught JavaScript exceptions) are collected in ``page.errors``."""
        context = await self.browser.new_context(locale=locale, viewport=viewport)
        page = await context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        self.pages.append(page)
        if user is not None:
            await login(page, self.base, user)
        return page


async def login(page: Any, base: str, user: Any) -> None:
    await page.goto(f"{base}/accounts/login/")
    await page.fill("#id_username", user.email)
    await page.fill("#id_password", PASSWORD)
    # Enter in the password field submits the log-in form (the header has other forms).
    async with page.expect_navigation():
        await page.press("#id_password", "Enter")


async def screenshots(page: Any, name: str) -> None:
    """Full-page screenshots of the current page at desk and phone width, then back."""
    ARTIFACTS.mkdir(exist_ok=True)
    before = page.viewport_size
    for label, viewport in (("1280", DESK), ("390", PHONE)):
        await page.set_viewport_size(viewport)
        await page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
    await page.set_viewport_size(before)


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the current page (WCAG 2.x A and AA rules and best practice),
    as ``[{"id", "impact", "help", "targets"}]``."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(content=AXE_JS.read_text())
    # page.evaluate has no timeout of its own: a hung run must fail the test, not the suite.
    result = await asyncio.wait_for(
        page.evaluate("async () => JSON.stringify((await axe.run()).violations)"), 90
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [n["target"] for n in v["nodes"]],
        }
        for v in json.loads(result)
    ]


async def assert_accessible(page: Any, name: str) -> None:
    """No axe-core violation at desk width nor at phone width; screenshots of both."""
    await screenshots(page, name)
    before = page.viewport_size
    found = {}
    for label, viewport in (("1280", DESK), ("390", PHONE)):
        await page.set_viewport_size(viewport)
        violations = await axe_violations(page)
        if violations:
            found[label] = violations
    await page.set_viewport_size(before)
    assert found == {}, f"axe-core on {name}: {json.dumps(found, indent=1)}"


SHOTS = Path("/tmp/shots")


async def shots(page: Any, name: str) -> None:
    """Full-page screenshots at both widths in /tmp/shots, to look at."""
    await asyncio.to_thread(SHOTS.mkdir, exist_ok=True)
    for label, viewport in (("1280", DESK), ("390", PHONE)):
        await page.set_viewport_size(viewport)
        await page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    await page.set_viewport_size(DESK)


@contextlib.asynccontextmanager
async def cockpit() -> AsyncIterator[Cockpit]:
    require_service("Debian's chromium", HAVE_CHROMIUM)
    import playwright.async_api as playwright_api  # a dev dependency: missing is a failure

    with private_redis() as redis_server, running_daphne(redis_server.url) as port:
        async with playwright_api.async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
            try:
                yield Cockpit(base=f"http://127.0.0.1:{port}", browser=browser)
            finally:
                await browser.close()


@pytest.fixture(autouse=True)
def fast_password_hashing() -> None:
    """Import this into a browser test module (``from tests.board.browser import
    fast_password_hashing``): it replaces the suite's autouse fast hasher (tests/conftest.py)
    with nothing, so that passwords are hashed with the real hashers the Daphne under test
    checks them with."""

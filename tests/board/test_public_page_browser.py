"""The public page in a real browser, as a stranger sees it on a desk and on a phone:
axe-core finds nothing at either width, in Dutch and in French."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache

from backend.organisations.models import Role
from backend.organisations.services import organisation_update
from backend.shifts.models import ShiftMode, ShiftVisibility
from tests.board.browser import (  # noqa: F401
    DESK,
    PHONE,
    assert_accessible,
    cockpit,
    fast_password_hashing,
)
from tests.factories import MembershipFactory, shift_at

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True), pytest.mark.slow]

db = database_sync_to_async
SHOTS = Path("/tmp/shots")


async def test_a_stranger_reads_the_public_page_on_a_desk_and_a_phone(organisation, monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "InzetDemoBot")  # for the server's process

    @db
    def arrange() -> None:
        cache.clear()
        admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
        organisation_update(
            actor=admin,
            organisation_id=organisation.pk,
            public_page_enabled=True,
            public_description="Wandel mee met onze bewoners, of bel eens een uurtje.",
        )
        shift_at(
            organisation,
            title="Wandeling in het park",
            visibility=ShiftVisibility.PUBLIC,
            address="Kerkstraat 1, 9000 Gent",
            capacity=4,
        )
        shift_at(
            organisation,
            title="Telefonische babbel",
            visibility=ShiftVisibility.PUBLIC,
            mode=ShiftMode.ONLINE,
            address="",
            meeting_link="https://meet.example.org/x",
            starts_in=dt.timedelta(days=3),
        )

    await arrange()
    await asyncio.to_thread(SHOTS.mkdir, exist_ok=True)
    async with cockpit() as c:
        page = await c.page_for(None, locale="nl-BE")
        for language in ("nl", "fr"):
            await page.goto(f"{c.base}/o/{organisation.slug}/?lang={language}")
            await page.get_by_role("heading", level=1).wait_for()
            assert await page.locator("html").get_attribute("lang") == language
            assert await page.locator(".public-shift").count() == 2
            assert "Gent" in await page.locator(".public-shift").first.inner_text()
            join = page.locator("a.button.primary")
            assert (await join.get_attribute("href") or "").startswith(
                "https://t.me/InzetDemoBot?start="
            )
            for label, viewport in (("1280", DESK), ("390", PHONE)):
                await page.set_viewport_size(viewport)
                await assert_accessible(page, f"public-{language}-{label}")
                await page.screenshot(
                    path=str(SHOTS / f"public-{language}-{label}.png"), full_page=True
                )
            await page.set_viewport_size(DESK)

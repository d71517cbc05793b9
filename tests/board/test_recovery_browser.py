"""A forgotten password, in a real browser: from the log-in page to the new password, through
the link the mail holds, accessible at desk and phone width."""

from __future__ import annotations

import re

import pytest
from channels.db import database_sync_to_async

from backend.accounts.models import OutgoingMail, User
from tests.board.browser import assert_accessible, cockpit, fast_password_hashing  # noqa: F401

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True), pytest.mark.slow]

db = database_sync_to_async
NEW_PASSWORD = "Een-nieuw-wachtwoord-2026"


async def test_a_volunteer_resets_a_forgotten_password_from_the_log_in_page(volunteer: User):
    async with cockpit() as c:
        page = await c.page_for(None)
        await page.goto(f"{c.base}/accounts/login/")
        await page.get_by_role("link", name="Wachtwoord vergeten?").click()
        await page.get_by_role("heading", name="Wachtwoord vergeten?").wait_for()
        await assert_accessible(page, "reset-ask")
        await page.get_by_label("E-mailadres").fill(volunteer.email)
        await page.get_by_role("button", name="Stuur de link").click()
        await page.get_by_role("status").wait_for()
        await assert_accessible(page, "reset-sent")

        body = (await db(OutgoingMail.objects.get)(to=volunteer.email)).body
        link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", body)
        assert link, body
        await page.goto(c.base + link.group(1))
        await page.get_by_role("heading", name="Kies een nieuw wachtwoord").wait_for()
        await page.get_by_label("Nieuw wachtwoord", exact=True).fill("123")
        await page.get_by_label("Nieuw wachtwoord bevestigen").fill("123")
        await page.get_by_role("button", name="Nieuw wachtwoord bewaren").click()
        await page.get_by_text("Dit wachtwoord is te kort.").wait_for()
        await assert_accessible(page, "reset-too-short")

        await page.get_by_label("Nieuw wachtwoord", exact=True).fill(NEW_PASSWORD)
        await page.get_by_label("Nieuw wachtwoord bevestigen").fill(NEW_PASSWORD)
        await page.get_by_role("button", name="Nieuw wachtwoord bewaren").click()
        await page.wait_for_url(f"{c.base}/accounts/reset/done/")
        await assert_accessible(page, "reset-done")

    user = await db(User.objects.get)(pk=volunteer.pk)
    assert user.check_password(NEW_PASSWORD)

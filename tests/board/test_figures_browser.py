"""Follow-ups and figures in a real browser: a coordinator marks an answer handled with a note,
opens the figures of last year, sees the charts drawn, and downloads the Belgian CSV."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from backend.notifications.models import ClaimFeedback
from backend.organisations.models import Organisation, Role
from backend.shifts.models import Claim, ClaimStatus
from tests.board.browser import assert_accessible, cockpit, fast_password_hashing  # noqa: F401
from tests.factories import MembershipFactory, ShiftFactory

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True), pytest.mark.slow]

BRUSSELS = ZoneInfo("Europe/Brussels")


@database_sync_to_async
def arrange(organisation: Organisation) -> tuple[int, list[int]]:
    """Two answers that need attention (Anna's newest), and last year's completed shifts in
    March, June and October. Returns last year and the answers' ids."""
    year = timezone.now().astimezone(BRUSSELS).year - 1
    feedbacks = []
    for name, month, score, comment in (
        ("Bram", 3, 1, "De bewoner was erg onrustig."),
        ("Anna", 6, 2, "Ik voelde me onveilig op de terugweg."),
        ("Chris", 10, 4, ""),
    ):
        volunteer = MembershipFactory(
            organisation=organisation, role=Role.VOLUNTEER, user__profile__display_name=name
        ).user
        start = dt.datetime(year, month, 12, 14, tzinfo=BRUSSELS)
        shift = ShiftFactory(
            organisation=organisation,
            title=f"Wandeling {name}",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            capacity=2,
            confirmed_count=1,
        )
        claim = Claim.objects.create(
            shift=shift,
            volunteer=volunteer,
            status=ClaimStatus.COMPLETED,
            confirmed_at=start - dt.timedelta(days=3),
            minutes_volunteered=120 + 30 * month,
        )
        feedbacks.append(
            ClaimFeedback.objects.create(
                claim=claim,
                score=score,
                comment=comment,
                answered_at=start + dt.timedelta(hours=3),
                needs_follow_up=score <= 2,
            ).pk
        )
    return year, feedbacks


async def test_coordinator_handles_a_follow_up_then_reads_and_downloads_the_figures(
    organisation, coordinator, tmp_path: Path
):
    year, (bram, anna, _chris) = await arrange(organisation)
    async with cockpit() as c:
        page = await c.page_for(coordinator)

        # Follow-ups: Anna's answer is the newest; mark it handled with a note.
        await page.goto(f"{c.base}/board/{organisation.slug}/follow-ups/")
        cards = page.locator(".follow-up")
        assert await cards.count() == 2
        assert "Anna" in await cards.first.inner_text()
        card = page.locator(f"#follow-up-{anna}")
        await card.get_by_label("Wat heb je gedaan?").fill("Gebeld; ze wordt voortaan begeleid.")
        async with page.expect_navigation():
            await card.get_by_role("button", name="Markeer als afgehandeld").click()
        await page.get_by_role("status").get_by_text("Gemarkeerd als afgehandeld").wait_for()
        assert await page.locator(".follow-up").count() == 1
        assert await page.locator(f"#follow-up-{bram}").count() == 1
        handled = page.locator("table.data")
        assert "Gebeld; ze wordt voortaan begeleid." in await handled.inner_text()
        # Checked without the flash message: cockpit.html's <ul role="status"> is not a list for
        # axe-core (listitem, aria-allowed-role); reported to the frame's owner.
        await page.reload()
        await assert_accessible(page, "follow-ups")

        # Figures: through the navigation, then last year from the year menu.
        nav = page.get_by_role("navigation", name="Organisatie")
        async with page.expect_navigation():
            await nav.get_by_role("link", name="Cijfers").click()
        await page.get_by_label("Jaar", exact=True).select_option(str(year))
        async with page.expect_navigation():
            await page.get_by_role("button", name="Toon").click()
        await page.get_by_role("heading", level=1, name=f"Cijfers {year}").wait_for()

        chart = page.get_by_role("img", name=f"Uren per maand in {year}")
        await chart.wait_for()
        assert (await chart.bounding_box())["width"] > 300  # type: ignore[index]
        heights = await chart.locator("rect.chart-bar").evaluate_all(
            "bars => bars.map(bar => bar.getBoundingClientRect().height)"
        )
        assert len(heights) == 12
        assert [round(h) > 0 for h in heights] == [m in (3, 6, 10) for m in range(1, 13)], heights
        assert heights[9] == max(heights)  # October: 7 hours
        await page.get_by_text("Toon de cijfers").first.click()  # the numbers as a table
        assert "oktober" in await page.locator("#chart-months ~ details table").inner_text()
        await assert_accessible(page, "figures")

        # The Belgian CSV (the default): semicolons, decimal commas, a byte order mark, and
        # each figure's name in the coordinator's language.
        assert await page.get_by_label(
            re.compile(r"decimale komma.s \(Excel in België\)")
        ).is_checked()
        async with page.expect_download() as download_info:
            await page.get_by_role("button", name=f"Download de cijfers van {year} (CSV)").click()
        download = await download_info.value
        assert download.suggested_filename == f"{organisation.slug}-{year}-excel.csv"
        target = tmp_path / download.suggested_filename
        await download.save_as(target)
        content = target.read_bytes()
        assert content.startswith(b"\xef\xbb\xbf")
        lines = content.decode("utf-8-sig").splitlines()
        assert lines[0] == "figure;label;value"
        assert "hours;Uren vrijwilligerswerk;15,5" in lines  # 3.5 + 5 + 7 hours
        assert "organisation;Organisatie;WZC De Linde" in lines
        assert page.errors == []

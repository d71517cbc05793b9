"""The shift's detail panel in a real browser: one Daphne and Chromium session walking a
coordinator's day (keyboard, check-in, no-show, cancel with a reason, add a member, an urgent
call and its error), a second coordinator's board following live, and the filter."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from channels.db import database_sync_to_async
from django.utils import timezone

from backend.accounts.models import User, VolunteerProfile
from backend.notifications.models import Kind, Notification
from backend.organisations.models import Organisation, Role
from backend.shifts.models import Claim, ClaimStatus, Shift
from backend.shifts.services import claim_create
from tests.board.browser import assert_accessible, cockpit, fast_password_hashing  # noqa: F401
from tests.factories import MembershipFactory, ShiftFactory

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True), pytest.mark.slow]

db = database_sync_to_async


def _member(organisation: Organisation, name: str, role: str = Role.VOLUNTEER) -> User:
    user = MembershipFactory(organisation=organisation, role=role).user
    VolunteerProfile.objects.filter(user=user).update(
        display_name=name, phone="+32 470 00 00 0" + str(len(name))
    )
    return User.objects.get(pk=user.pk)


@db
def arrange(organisation: Organisation) -> dict[str, Any]:
    now = timezone.now().replace(microsecond=0)
    zone = ZoneInfo(organisation.time_zone)
    midnight = dt.datetime.combine(now.astimezone(zone).date(), dt.time.min, tzinfo=zone)
    if now - midnight < dt.timedelta(minutes=3):
        pytest.skip("an ended shift of today needs a few minutes of today")
    # Ran earlier today: on the board (from local midnight) and over, for the no-show.
    ended_at = now - dt.timedelta(minutes=1)
    started_at = max(midnight + dt.timedelta(minutes=1), ended_at - dt.timedelta(hours=2))
    people = {name: _member(organisation, name) for name in ("Anna", "Bram", "Cleo", "Dirk", "Eva")}
    ended = ShiftFactory(
        organisation=organisation,
        title="Ochtendkoffie",
        capacity=2,
        starts_at=started_at,
        ends_at=ended_at,
    )
    soon = now + dt.timedelta(hours=5)
    walk = ShiftFactory(
        organisation=organisation,
        title="Wandeling",
        capacity=3,
        starts_at=soon,
        ends_at=soon + dt.timedelta(hours=2),
    )
    later = now + dt.timedelta(days=2)
    call = ShiftFactory(
        organisation=organisation,
        title="Belronde",
        mode="online",
        address="",
        meeting_link="https://meet.example/belronde",
        capacity=2,
        starts_at=later,
        ends_at=later + dt.timedelta(hours=1),
    )
    with time_machine.travel(started_at - dt.timedelta(hours=1)):  # claimed before it began
        claims = {
            "Anna": claim_create(volunteer=people["Anna"], shift_id=ended.pk).claim,
            "Bram": claim_create(volunteer=people["Bram"], shift_id=ended.pk).claim,
        }
    claims["Cleo"] = claim_create(volunteer=people["Cleo"], shift_id=walk.pk).claim
    claims["Dirk"] = claim_create(volunteer=people["Dirk"], shift_id=walk.pk).claim
    second = _member(organisation, "Tweede coördinator", Role.COORDINATOR)
    return {
        "ended": ended,
        "walk": walk,
        "online": call,
        "claims": claims,
        "people": people,
        "second": second,
    }


def card(shift: Shift) -> str:
    return f'article[data-shift-id="{shift.pk}"]'


async def tab_to(page: Any, selector: str, presses: int = 40) -> None:
    """Tab through the page until ``selector`` has the focus (as a keyboard user would)."""
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if await page.evaluate(f"document.activeElement.matches('{selector}')"):
            return
    raise AssertionError(f"Tab never reached {selector}")


async def notice(page: Any, text: str) -> None:
    await page.locator("#shift-panel [data-panel-message]", has_text=text).wait_for(timeout=3000)


async def test_a_coordinator_works_a_shift_from_its_panel_and_another_board_follows(
    organisation: Organisation, coordinator: User
) -> None:
    cast = await arrange(organisation)
    ended, walk, online = cast["ended"], cast["walk"], cast["online"]
    claims = cast["claims"]
    async with cockpit() as c:
        page = await c.page_for(coordinator)
        other = await c.page_for(cast["second"])
        for p in (page, other):
            await p.goto(f"{c.base}/board/{organisation.slug}/")
            await p.wait_for_selector("#status.live")

        # Today's heading says so.
        today = page.locator("section.day.today h2")
        assert "Vandaag" in await today.inner_text()
        assert await page.locator(f"section.day.today {card(ended)}").count() == 1
        await assert_accessible(page, "shift-panel-board")

        # Keyboard: Tab to the ended shift's card, Enter opens its panel, focus on its title.
        await tab_to(page, card(ended))
        await page.keyboard.press("Enter")
        await page.wait_for_selector("#shift-panel[open] #panel-title")
        assert await page.evaluate("document.activeElement.id") == "panel-title"
        panel = page.locator("#shift-panel")
        assert "Ochtendkoffie" in await panel.locator("#panel-title").inner_text()
        assert "+32 470 00 00 04" in await panel.inner_text()  # Anna's phone
        await assert_accessible(page, "shift-panel-open")

        # Check Anna in: the panel says so and the other coordinator's board shows it within 1 s.
        await page.get_by_role("button", name="Inchecken Anna").click()
        clicked = time.monotonic()
        await other.wait_for_function(
            f"""Array.from(document.querySelectorAll('{card(ended)} .person'))
                .some(p => p.textContent.includes('Anna') && p.querySelector('.check.checked-in'))""",
            timeout=1000,
        )
        assert time.monotonic() - clicked < 1
        await notice(page, "Anna is ingecheckt.")
        await page.wait_for_function(
            "document.getElementById('announcer').textContent.includes('Anna is ingecheckt.')"
        )

        # Bram did not come.
        await page.get_by_role("button", name="Niet opgedaagd Bram").click()
        await notice(page, "Bram is als niet opgedaagd genoteerd.")

        # Escape closes the panel; the focus is back on the card.
        await page.keyboard.press("Escape")
        await page.wait_for_selector("#shift-panel:not([open])", state="attached")
        assert await page.evaluate("document.activeElement.dataset.shiftId") == str(ended.pk)

        # The other coordinator looks only at shifts short of people, while events come in.
        await other.get_by_label("Tekort aan mensen").check()
        assert "filter=short" in other.url
        await other.locator(card(ended)).wait_for(state="hidden")

        # Next card, by keyboard: cancel Cleo's place with a reason.
        await tab_to(page, card(walk))
        await page.keyboard.press("Enter")
        await page.wait_for_selector(f'#shift-panel[open] [data-shift-id="{walk.pk}"]')
        await page.locator("summary", has_text="Annuleren…").first.click()
        cleo = claims["Cleo"]
        await page.fill(f"#reason-{cleo.pk}", "De bewoner is opgenomen in het ziekenhuis.")
        await page.get_by_role("button", name="Plaats annuleren Cleo").click()
        clicked = time.monotonic()
        await other.wait_for_function(
            f"""document.querySelector('{card(walk)} .count').textContent === '1 / 3'""",
            timeout=1000,
        )
        assert time.monotonic() - clicked < 1
        await notice(page, "De plaats van Cleo is geannuleerd")
        # The filter held through the event: the ended shift is still hidden there.
        assert not await other.locator(card(ended)).is_visible()
        assert await other.locator(card(walk)).is_visible()

        # Add Eva, who is not on it yet.
        await page.get_by_label("Lid", exact=True).select_option(label="Eva")
        await page.get_by_role("button", name="Toevoegen aan de shift").click()
        await notice(page, "Eva staat op de shift.")

        # An urgent call without a message is refused next to the field.
        await page.fill("#call-text", "")
        await page.get_by_role("button", name="Dringende oproep versturen").click()
        error = page.locator("#call-text-error")
        await error.wait_for(timeout=3000)
        assert "Schrijf een bericht van 1 tot 1000 tekens." in await error.inner_text()
        assert await page.get_attribute("#call-text", "aria-invalid") == "true"
        await assert_accessible(page, "shift-panel-error")

        await page.fill("#call-text", "Wie kan er vanavond nog mee wandelen?")
        await page.get_by_role("button", name="Dringende oproep versturen").click()
        await notice(page, "werden gevraagd om te helpen")

        # The Close button closes it too, and the focus goes back to the card.
        await page.get_by_role("button", name="Sluiten").click()
        await page.wait_for_selector("#shift-panel:not([open])", state="attached")
        assert await page.evaluate("document.activeElement.dataset.shiftId") == str(walk.pk)

        # The filter: online shifts only, kept in the address and across a reload.
        await page.get_by_label("Online", exact=True).check()
        await page.locator(card(walk)).wait_for(state="hidden")
        assert await page.locator(card(online)).is_visible()
        await page.reload()
        await page.wait_for_selector("#status.live")
        assert await page.get_by_label("Online", exact=True).is_checked()
        assert await page.locator(card(online)).is_visible()
        assert not await page.locator(card(walk)).is_visible()
        await page.get_by_label("Alle shifts").check()
        await page.locator(card(walk)).wait_for(state="visible")

        assert page.errors == [] and other.errors == []

    @db
    def outcome() -> dict[str, Any]:
        by_name = {name: Claim.objects.get(pk=claim.pk) for name, claim in claims.items()}
        eva = Claim.objects.get(shift=walk, volunteer=cast["people"]["Eva"])
        return {
            "anna": by_name["Anna"].checked_in_at is not None,
            "bram": by_name["Bram"].status,
            "cleo": (by_name["Cleo"].status, by_name["Cleo"].cancellation_reason),
            "eva": eva.status,
            "told": Notification.objects.filter(
                kind=Kind.CLAIM_CANCELLED, claim_id=claims["Cleo"].pk
            ).exists(),
            "asked": Notification.objects.filter(kind=Kind.BROADCAST, shift=walk).count(),
        }

    result = await outcome()
    assert result["anna"] is True
    assert result["bram"] == ClaimStatus.NO_SHOW
    assert result["cleo"] == (ClaimStatus.CANCELLED, "De bewoner is opgenomen in het ziekenhuis.")
    assert result["eva"] == ClaimStatus.CONFIRMED
    assert result["told"] is True
    assert result["asked"] >= 1

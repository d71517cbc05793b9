"""The API docs render in a real browser that cannot reach the internet (issue 12): Swagger UI
and ReDoc come from this server's static files, and they show the schema's operations."""

from __future__ import annotations

import pytest

from tests.board.browser import (  # noqa: F401 (fast_password_hashing is an autouse fixture)
    cockpit,
    fast_password_hashing,
    screenshots,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True), pytest.mark.slow]


async def test_swagger_ui_and_redoc_work_offline() -> None:
    async with cockpit() as c:
        page = await c.page_for(None)
        elsewhere: list[str] = []

        async def only_this_server(route) -> None:  # type: ignore[no-untyped-def]
            if route.request.url.startswith(c.base):
                await route.continue_()
            else:
                elsewhere.append(route.request.url)
                await route.abort()

        await page.route("**/*", only_this_server)

        await page.goto(f"{c.base}/api/docs/")
        await page.locator(".swagger-ui .info .title", has_text="Inzet API").wait_for(timeout=15000)
        await page.locator(".opblock-summary-path", has_text="/api/v1/shifts/").first.wait_for()
        await screenshots(page, "api-docs")

        await page.goto(f"{c.base}/api/redoc/")
        await page.get_by_role("heading", name="Inzet API").first.wait_for(timeout=15000)

        assert elsewhere == [], elsewhere
        assert page.errors == []

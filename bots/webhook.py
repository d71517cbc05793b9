"""Webhook mode, and the one door from ``backend/`` into the bot.

Nothing under ``backend/`` imports any other module of ``bots/`` (``tests/test_layering.py``
checks it). Two callers come through here:

- the webhook view (``backend/telegram/views.py``) hands each checked, de-duplicated update
  to :func:`process`;
- ``manage.py set_telegram_webhook`` calls :func:`register` or :func:`unregister`.

One Application per event loop (Daphne runs one loop per process; its HTTP client is bound to
the loop it was started on). Updates go through the same update processor as in polling, so
a chat's updates stay in order while different chats run concurrently.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from telegram import Update
from telegram.ext import Application

from bots.app import build_application, publish_command_menu

_applications: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Application] = (
    weakref.WeakKeyDictionary()
)
_starting: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


async def _application() -> Application:
    loop = asyncio.get_running_loop()
    lock = _starting.setdefault(loop, asyncio.Lock())
    async with lock:
        app = _applications.get(loop)
        if app is None:
            app = build_application(with_updater=False)
            await app.initialize()
            _applications[loop] = app
    return app


async def process(data: dict[str, Any]) -> None:
    """Handle one update (already checked and de-duplicated by the view)."""
    app = await _application()
    update = Update.de_json(data, app.bot)
    await app.update_processor.process_update(update, app.process_update(update))


async def shutdown() -> None:
    """Close this loop's Application (tests end their event loop; Daphne never does)."""
    app = _applications.pop(asyncio.get_running_loop(), None)
    if app is not None:
        await app.shutdown()


async def register(*, url: str, secret: str) -> None:
    """Point Telegram at ``url`` with ``secret``, and publish the command menu: in webhook
    mode nothing else does (polling publishes it at start)."""
    async with build_application(with_updater=False) as app:
        await app.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
        await publish_command_menu(app.bot)


async def unregister() -> None:
    """Remove the webhook, so ``python -m bots`` can poll again."""
    async with build_application(with_updater=False) as app:
        await app.bot.delete_webhook()

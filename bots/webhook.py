"""Webhook mode: the web process hands each update from ``/telegram/webhook/`` to the bot.

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

from bots.app import build_application

_applications: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Application] = (
    weakref.WeakKeyDictionary()
)
_starting: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


async def application() -> Application:
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
    app = await application()
    update = Update.de_json(data, app.bot)
    await app.update_processor.process_update(update, app.process_update(update))


async def shutdown() -> None:
    app = _applications.pop(asyncio.get_running_loop(), None)
    if app is not None:
        await app.shutdown()

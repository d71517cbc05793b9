"""A tiny ASGI app for tests/test_serve.py: answers with its process id, slowly.

The blocking sleep holds the process's event loop, as a sync Django view holds a Daphne
process, so concurrent requests have to be answered by other processes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]


async def application(
    scope: Scope,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return
    time.sleep(0.3)  # noqa: ASYNC251 - blocking on purpose, see the docstring
    body = str(os.getpid()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(body))],
        }
    )
    await send({"type": "http.response.body", "body": body})

"""Websocket URL routes."""

from typing import Any

from django.urls import URLPattern, path, re_path

from realtime.consumers import BoardConsumer, MeConsumer


async def refuse(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Any other path: refuse the handshake (Daphne answers 403).

    Without a route Channels' router raises ValueError, which Daphne logs with a traceback and
    answers with a 500. A plain ASGI app rather than a consumer: nothing to subscribe to, so
    no channel layer (and no Redis) is needed to say no.
    """
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close"})


websocket_urlpatterns: list[URLPattern] = [
    path("ws/v1/organisations/<int:organisation_id>/board/", BoardConsumer.as_asgi()),
    path("ws/v1/me/", MeConsumer.as_asgi()),
    # Channels routes ASGI apps; django-stubs types re_path for views only.
    re_path(r"^", refuse),  # type: ignore[arg-type]
]

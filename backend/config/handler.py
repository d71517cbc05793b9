"""Django's ASGI handler, with the middleware chain run synchronously in one thread hop.

Under ASGI, Django runs each middleware that supports both modes (all of Django's own do) in
async mode, and a sync ``process_request``/``process_response``/``process_view`` then costs a
hop to a worker thread and back: more than a dozen hops per request with our middleware, and
on this kind of machine most of the time a do-nothing request takes (bench/floor.py). Here
the chain is built in sync mode, as under WSGI, and the whole of it (middleware and view) runs
in one ``sync_to_async`` call: one hop per request, in the request's own thread, as Django
runs sync views anyway. Async views still work (Django runs them with ``async_to_sync`` on
the server's event loop); websockets don't come through here (Channels, realtime/).
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SyncChainASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        chain = self._middleware_chain  # type: ignore[has-type]
        self._middleware_chain = sync_to_async(chain, thread_sensitive=True)


def get_asgi_application() -> SyncChainASGIHandler:
    import django

    django.setup(set_prefix=False)
    return SyncChainASGIHandler()

"""ASGI entry point: HTTP through Django, websockets through Channels (see realtime/routing.py)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
from backend.config.handler import get_asgi_application

# Django's handler with the middleware run in one thread hop per request (see handler.py).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from backend.api.views.schema import warm_schema  # noqa: E402
from realtime.auth import websocket_auth_stack  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

# Before the server listens: the first requests of a fresh process would otherwise all
# generate the OpenAPI schema at once (see backend/api/views/schema.py).
warm_schema()

application = ProtocolTypeRouter(
    {
        # The board's CSS and JS are a few small files; Django serves them (no build step and
        # no separate static server needed). A proxy in front may serve /static/ instead.
        "http": ASGIStaticFilesHandler(django_asgi_app),
        # Origin check (cookies only from our own hosts), session, then JWT: realtime/auth.py.
        "websocket": websocket_auth_stack(URLRouter(websocket_urlpatterns)),
    }
)

"""ASGI entry point: HTTP through Django, websockets through Channels (see realtime/routing.py)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from realtime.auth import websocket_auth_stack  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Origin check (cookies only from our own hosts), session, then JWT: realtime/auth.py.
        "websocket": websocket_auth_stack(URLRouter(websocket_urlpatterns)),
    }
)

"""The Telegram routes as they are mounted in production, for tests that do not depend on
whether ``backend/api/urls.py`` includes them yet."""

from django.urls import URLResolver, include, path

urlpatterns: list[URLResolver] = [
    path("telegram/", include("backend.telegram.webhook_urls")),
    path("api/v1/", include("backend.telegram.urls")),
]

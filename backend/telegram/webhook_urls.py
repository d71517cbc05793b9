"""``/telegram/webhook/``, included by ``backend/config/urls.py`` (outside the API)."""

from django.urls import URLPattern, path

from backend.telegram.views import webhook

urlpatterns: list[URLPattern] = [path("webhook/", webhook, name="telegram-webhook")]

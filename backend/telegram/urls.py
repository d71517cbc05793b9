"""API routes of the Telegram app, included by the lead under ``api/v1/``."""

from django.urls import URLPattern, path

from backend.telegram.views import TelegramLinkView

urlpatterns: list[URLPattern] = [
    path("me/telegram-link/", TelegramLinkView.as_view(), name="telegram-link"),
]

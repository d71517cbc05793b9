"""Websocket URL routes (the consumers arrive with the realtime issue)."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []

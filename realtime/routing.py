"""Websocket URL routes."""

from django.urls import URLPattern, path

from realtime.consumers import BoardConsumer, MeConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/v1/organisations/<int:organisation_id>/board/", BoardConsumer.as_asgi()),
    path("ws/v1/me/", MeConsumer.as_asgi()),
]

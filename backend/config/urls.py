from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerView

from backend.api.errors import api_not_found
from backend.api.views.schema import RedocView, SchemaView
from backend.board.views import home, public, signup

urlpatterns = [
    path("admin/", admin.site.urls),
    path("telegram/", include("backend.telegram.webhook_urls")),
    path("api/v1/", include("backend.api.urls")),
    path("board/", include("backend.board.urls")),
    path("accounts/", include("backend.board.account_urls")),
    *home.urlpatterns,
    *signup.urlpatterns,
    *public.urlpatterns,
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", RedocView.as_view(url_name="schema"), name="api-redoc"),
    # Last: any other /api/ URL answers the JSON 404, with DEBUG too (see api_not_found).
    re_path(r"^api/", api_not_found, name="api-not-found"),
]

# JSON under /api/; elsewhere the styled pages backend/board/templates/403.html, 404.html, 500.html.
handler403 = "backend.api.errors.error_403"
handler404 = "backend.api.errors.error_404"
handler500 = "backend.api.errors.error_500"

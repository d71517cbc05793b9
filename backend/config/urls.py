from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("telegram/", include("backend.telegram.webhook_urls")),
    path("api/v1/", include("backend.api.urls")),
    path("board/", include("backend.board.urls")),
    path("accounts/", include("backend.board.account_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

handler404 = "backend.api.errors.json_404"
handler500 = "backend.api.errors.json_500"

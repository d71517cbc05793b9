"""The project's URLs plus three do-nothing endpoints that measure the stack's own cost."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.config.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def django_view(request: HttpRequest) -> HttpResponse:
    """A plain Django view: Daphne, the ASGI handler and the project's middleware."""
    return HttpResponse(b'{"ok": true}', content_type="application/json")


class DrfView(APIView):
    """A DRF view with no authentication: adds DRF's request handling and JSON rendering."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    def post(self, request: Request) -> Response:
        return Response({"ok": True})


class DrfJwtView(APIView):
    """A DRF view that authenticates the bearer token (one query for the user), as the
    claim endpoint does, and does nothing else."""

    def post(self, request: Request) -> Response:
        return Response({"user": request.user.pk})

    def get(self, request: Request) -> Response:
        return Response({"user": request.user.pk})


urlpatterns = [
    path("floor/django/", django_view),
    path("floor/drf/", DrfView.as_view()),
    path("floor/drf-jwt/", DrfJwtView.as_view()),
    *project_urlpatterns,
]

"""iCalendar feeds behind a secret per-user URL, and the links to them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import User, VolunteerProfile
from backend.accounts.services import calendar_token_get, calendar_token_rotate
from backend.api.serializers_toolkit import CalendarLinksSerializer
from backend.api.views.formats import OtherFormatView
from backend.core.errors import NotFound
from backend.organisations.models import Membership, Organisation
from backend.shifts.calendar import organisation_calendar, volunteer_calendar

ICS = OpenApiResponse(OpenApiTypes.STR, description="text/calendar (RFC 5545)")


def _links(request: Request, user: User, token: str) -> dict[str, object]:
    organisation_ids = Membership.objects.filter(user=user).values_list(
        "organisation_id", flat=True
    )
    return {
        "my_shifts": request.build_absolute_uri(reverse("calendar-mine", args=[token])),
        "organisations": {
            str(organisation_id): request.build_absolute_uri(
                reverse("calendar-organisation", args=[token, organisation_id])
            )
            for organisation_id in organisation_ids
        },
    }


class CalendarLinksView(APIView):
    @extend_schema(responses=CalendarLinksSerializer)
    def get(self, request: Request) -> Response:
        """Your secret calendar feed URLs: your own shifts, and each organisation's."""
        user: User = request.user  # type: ignore[assignment]
        return Response(_links(request, user, calendar_token_get(user=user)))


class CalendarRotateView(APIView):
    @extend_schema(request=None, responses=CalendarLinksSerializer)
    def post(self, request: Request) -> Response:
        """New secret feed URLs; the old ones stop working."""
        user: User = request.user  # type: ignore[assignment]
        return Response(_links(request, user, calendar_token_rotate(user=user)))


class ICalendarRenderer(BaseRenderer):
    """Lets calendar apps ask for ``Accept: text/calendar``; the views return the bytes."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return data if isinstance(data, bytes) else b""


class FeedView(OtherFormatView):
    # The secret in the URL is the credential: calendar apps send no Authorization header.
    authentication_classes = ()
    permission_classes = (AllowAny,)
    renderer_classes = (JSONRenderer, ICalendarRenderer)
    # The schema's 200 is the feed only; errors stay JSON (backend/api/schema.py).
    success_media_types = ("text/calendar",)


def _owner(token: str) -> User:
    profile = (
        VolunteerProfile.objects.select_related("user")
        .filter(calendar_token=token, user__is_active=True)
        .first()
    )
    if profile is None:
        raise NotFound()
    return profile.user


def _ics(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


class MyCalendarFeedView(FeedView):
    @extend_schema(responses={200: ICS}, auth=[])
    def get(self, request: Request, token: str) -> HttpResponse:
        """Your confirmed shifts as an iCalendar feed (cancelled ones as cancelled)."""
        user = _owner(token)
        return _ics(volunteer_calendar(user=user, now=timezone.now()), "inzet.ics")


class OrganisationCalendarFeedView(FeedView):
    @extend_schema(responses={200: ICS}, auth=[])
    def get(self, request: Request, token: str, organisation_id: int) -> HttpResponse:
        """An organisation's published shifts as an iCalendar feed, for its members."""
        user = _owner(token)
        if not Membership.objects.filter(user=user, organisation_id=organisation_id).exists():
            raise NotFound()
        organisation = get_object_or_404(Organisation, pk=organisation_id)
        body = organisation_calendar(organisation=organisation, now=timezone.now())
        return _ics(body, f"{organisation.slug}.ics")

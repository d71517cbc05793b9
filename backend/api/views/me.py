"""The signed-in person: profile and own claims."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from backend.accounts.benefits import KEEP, benefit_change
from backend.accounts.services import profile_ensure, profile_update
from backend.api.serializers import ClaimSerializer, MeSerializer
from backend.api.users import request_user
from backend.shifts.models import ACTIVE_CLAIM_STATUSES, Claim
from backend.shifts.selectors import waitlist_positions


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(profile_ensure(user=request_user(request))).data)

    @extend_schema(request=MeSerializer, responses=MeSerializer)
    def patch(self, request: Request) -> Response:
        data = MeSerializer(
            profile_ensure(user=request_user(request)), data=request.data, partial=True
        )
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        user = request_user(request)
        if "benefit" in values or "c45b_handed_in_on" in values:
            profile_ensure(user=user)
            benefit_change(
                user=user,
                benefit=values.pop("benefit", KEEP),
                c45b_handed_in_on=values.pop("c45b_handed_in_on", KEEP),
            )
        profile = profile_update(user=user, **values)
        return Response(MeSerializer(profile).data)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "upcoming",
            OpenApiTypes.BOOL,
            description="Only active (confirmed or waitlisted) claims on shifts that have not "
            "ended yet.",
        )
    ]
)
class MyClaimsView(generics.ListAPIView):
    """The signed-in volunteer's claims, soonest shift first."""

    serializer_class = ClaimSerializer

    def get_queryset(self) -> QuerySet[Claim]:
        if getattr(self, "swagger_fake_view", False):
            return Claim.objects.none()
        claims = Claim.objects.filter(volunteer=request_user(self.request)).select_related(
            "shift__organisation"
        )
        if self.request.query_params.get("upcoming") in ("true", "1"):
            claims = claims.filter(
                status__in=ACTIVE_CLAIM_STATUSES, shift__ends_at__gt=timezone.now()
            )
        return claims.order_by("shift__starts_at", "id")

    def get_serializer(self, *args: Any, **kwargs: Any) -> BaseSerializer[Any]:
        if args:
            page = list(args[0])
            kwargs.setdefault("context", self.get_serializer_context())
            kwargs["context"]["positions"] = waitlist_positions(
                shift_ids=[c.shift_id for c in page if c.status == "waitlisted"]
            )
            args = (page, *args[1:])
        return super().get_serializer(*args, **kwargs)

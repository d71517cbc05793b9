"""Shifts, claiming and cancelling."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from backend.api.error_codes import raises
from backend.api.filters import ShiftFilter, StrictOrderingFilter
from backend.api.pagination import ShiftCursorPagination, ShiftPageRead
from backend.api.schema import ErrorSerializer
from backend.api.serializers import (
    ClaimSerializer,
    ShiftClaimSerializer,
    ShiftSerializer,
    ShiftUpdateSerializer,
    ShiftWriteSerializer,
)
from backend.api.throttles import ClaimThrottle
from backend.api.users import request_user
from backend.core import errors
from backend.organisations.models import Organisation
from backend.organisations.selectors import managed_organisation_ids, require_manager
from backend.shifts import services
from backend.shifts.listing import ListedShift, ViewerClaim, shift_page
from backend.shifts.models import Claim, ClaimStatus, Shift
from backend.shifts.selectors import (
    own_claim_id,
    shifts_visible_to,
    waitlist_position,
    waitlist_positions,
)

CLAIM_ERRORS = OpenApiResponse(ErrorSerializer)
CLAIMING = raises(
    errors.NotMember,
    errors.ShiftFull,
    errors.Overlap,
    errors.NotQualified,
    errors.ShiftStarted,
    errors.ShiftNotOpen,
    errors.TooManyClaims,
    errors.ClaimsNotOpen,
    errors.ClaimBlocked,
    errors.TooYoung,
    errors.BirthDateRequired,
    errors.InfoNoteRequired,
)
CANCELLING = raises(errors.NoClaim, errors.ClaimNotActive, errors.ShiftStarted)
EDITING = raises(errors.CapacityBelowConfirmed, errors.ShiftNotEditable, errors.ShiftStarted)
PUBLISHING = raises(errors.InfoNoteIncomplete)


def _serializer_context(
    request: Request, claims: dict[int, ViewerClaim], managed: set[int], **more: Any
) -> dict[str, Any]:
    """What the shift serializer needs to know about the viewer: their claims by shift, the
    organisations they manage, and their waitlist positions (a query only if they wait)."""
    waiting = [shift_id for shift_id, c in claims.items() if c.status == ClaimStatus.WAITLISTED]
    positions = waitlist_positions(shift_ids=waiting)
    context = {"request": request, "claims": claims, "managed": managed, "positions": positions}
    return context | more


def _viewer_context(request: Request, shifts: list[Shift]) -> dict[str, Any]:
    """The serializer's context for a few shifts read one by one, in two or three queries."""
    claims = {
        shift_id: ViewerClaim(pk=pk, status=status)
        for pk, shift_id, status in Claim.objects.filter(
            volunteer=request_user(request), shift_id__in=[s.pk for s in shifts]
        ).values_list("id", "shift_id", "status")
    }
    managed = set(managed_organisation_ids(user=request_user(request)))
    return _serializer_context(request, claims, managed)


def _visible_shift(request: Request, shift_id: int) -> Shift:
    return get_object_or_404(
        shifts_visible_to(user=request_user(request))
        .select_related("organisation")
        .prefetch_related("required_qualifications"),
        pk=shift_id,
    )


def _render_shift(request: Request, shift_id: int, code: int = 200) -> Response:
    shift = _visible_shift(request, shift_id)
    return Response(ShiftSerializer(shift, context=_viewer_context(request, [shift])).data, code)


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATETIME, description="Shifts ending after."),
            OpenApiParameter("ordering", OpenApiTypes.STR, enum=["starts_at", "-starts_at"]),
        ]
    )
)
class ShiftListView(generics.ListAPIView):
    """Shifts you can see: published shifts of your organisations and public shifts; every
    shift of the organisations you coordinate. POST creates a shift (coordinators)."""

    serializer_class = ShiftSerializer
    pagination_class = ShiftCursorPagination
    filterset_class = ShiftFilter
    # Reads the class attribute (the settings' default backends); mypy flags any generic class.
    filter_backends = (*generics.ListAPIView.filter_backends, StrictOrderingFilter)  # type: ignore[misc]
    ordering_fields = ("starts_at",)
    ordering = ("starts_at", "id")

    def get_queryset(self) -> QuerySet[Shift]:
        # Only for the schema (and DRF's generic machinery): the list itself is read by
        # list() below, one compiled statement per page.
        if getattr(self, "swagger_fake_view", False):
            return Shift.objects.none()
        return shifts_visible_to(user=request_user(self.request))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = ShiftFilter.checked(request.query_params)
        viewer = request_user(request)
        now = timezone.now()

        def read(descending: bool, after: dt.datetime | None, offset: int, limit: int) -> Any:
            return shift_page(
                viewer=viewer,
                query=query,
                now=now,
                limit=limit,
                offset=offset,
                descending=descending,
                after=after,
            )

        paginator = self.paginator
        assert paginator is not None
        listed: list[ListedShift] = paginator.paginate_queryset(  # type: ignore[assignment]
            ShiftPageRead(read),  # type: ignore[arg-type]
            request,
            view=self,
        )
        context = _serializer_context(
            request,
            claims={s.shift.pk: s.claim for s in listed if s.claim is not None},
            managed={s.shift.organisation_id for s in listed if s.manages},
            qualification_ids={s.shift.pk: s.qualification_ids for s in listed},
        )
        shifts = [s.shift for s in listed]
        return self.get_paginated_response(ShiftSerializer(shifts, many=True, context=context).data)

    @extend_schema(request=ShiftWriteSerializer, responses={201: ShiftSerializer})
    @PUBLISHING
    def post(self, request: Request) -> Response:
        data = ShiftWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        organisation = get_object_or_404(Organisation, pk=values.pop("organisation"))
        shift = services.shift_create(
            actor=request_user(request),
            organisation=organisation,
            required_qualification_ids=values.pop("required_qualifications"),
            **values,
        )
        return _render_shift(request, shift.pk, status.HTTP_201_CREATED)


class ShiftDetailView(APIView):
    @extend_schema(responses=ShiftSerializer)
    def get(self, request: Request, shift_id: int) -> Response:
        return _render_shift(request, shift_id)

    @extend_schema(
        request=ShiftUpdateSerializer,
        responses={200: ShiftSerializer, 409: OpenApiResponse(ErrorSerializer)},
    )
    @EDITING
    def patch(self, request: Request, shift_id: int) -> Response:
        """Change a shift (coordinators). Moving it keeps the claims; volunteers are told."""
        shift = _visible_shift(request, shift_id)
        require_manager(user=request_user(request), organisation_id=shift.organisation_id)
        data = ShiftUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        services.shift_update(
            actor=request_user(request),
            shift_id=shift.pk,
            required_qualification_ids=values.pop("required_qualifications", None),
            **values,
        )
        return _render_shift(request, shift.pk)

    @extend_schema(responses={204: None, 409: OpenApiResponse(ErrorSerializer)})
    @EDITING
    def delete(self, request: Request, shift_id: int) -> Response:
        """Cancel a shift (coordinators): every claim on it ends."""
        shift = _visible_shift(request, shift_id)
        services.shift_cancel(actor=request_user(request), shift_id=shift.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ShiftPublishView(APIView):
    @extend_schema(request=None, responses={200: ShiftSerializer})
    @EDITING
    @PUBLISHING
    def post(self, request: Request, shift_id: int) -> Response:
        """Publish a draft shift so volunteers can claim it."""
        shift = _visible_shift(request, shift_id)
        services.shift_publish(actor=request_user(request), shift_id=shift.pk)
        return _render_shift(request, shift.pk)


class ClaimView(APIView):
    throttle_classes = (ClaimThrottle,)

    @extend_schema(
        request=None,
        responses={
            201: OpenApiResponse(ClaimSerializer, description="Claimed: confirmed or waitlisted"),
            200: OpenApiResponse(ClaimSerializer, description="You already held this claim"),
            409: CLAIM_ERRORS,
        },
    )
    @CLAIMING
    def post(self, request: Request, shift_id: int) -> Response:
        """Claim a seat on a shift."""
        # No separate visibility lookup: the service refuses non-members (not_member) before
        # it reveals anything about the shift, and a claim is the hottest path of the API.
        result = services.claim_create(volunteer=request_user(request), shift_id=shift_id)
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(_render_claim(result.claim), status=code)

    @extend_schema(request=None, responses={200: ClaimSerializer, 409: CLAIM_ERRORS})
    @CANCELLING
    def delete(self, request: Request, shift_id: int) -> Response:
        """Cancel your claim on a shift. The seat goes to the first in line on the waitlist."""
        shift = _visible_shift(request, shift_id)
        claim_id = own_claim_id(shift=shift, user=request_user(request))
        claim = services.claim_cancel(actor=request_user(request), claim_id=claim_id)
        return Response(_render_claim(claim))


def _render_claim(claim: Claim) -> dict[str, Any]:
    """The claim as the services returned it (its shift and organisation loaded)."""
    position = waitlist_position(claim=claim)
    positions = {claim.pk: position} if position is not None else {}
    return ClaimSerializer(claim, context={"positions": positions}).data


class ShiftClaimListView(generics.ListAPIView):
    """Claims on a shift, for its organisation's coordinators."""

    serializer_class = ShiftClaimSerializer

    def get_queryset(self) -> QuerySet[Claim]:
        if getattr(self, "swagger_fake_view", False):
            return Claim.objects.none()
        shift = _visible_shift(self.request, self.kwargs["shift_id"])
        require_manager(user=request_user(self.request), organisation_id=shift.organisation_id)
        return (
            Claim.objects.filter(shift=shift)
            .select_related("volunteer__profile")
            .order_by("status", "waitlist_ticket", "id")
        )

    def get_serializer(self, *args: Any, **kwargs: Any) -> BaseSerializer[Any]:
        kwargs.setdefault("context", self.get_serializer_context())
        if args:
            kwargs["context"]["positions"] = waitlist_positions(shift_ids=[self.kwargs["shift_id"]])
        return super().get_serializer(*args, **kwargs)


class ShiftClaimDetailView(APIView):
    @extend_schema(request=None, responses={200: ShiftClaimSerializer})
    @CANCELLING
    def delete(self, request: Request, shift_id: int, claim_id: int) -> Response:
        """Cancel a volunteer's claim (coordinators), e.g. after a phone call."""
        shift = _visible_shift(request, shift_id)
        require_manager(user=request_user(request), organisation_id=shift.organisation_id)
        get_object_or_404(Claim, pk=claim_id, shift=shift)
        claim = services.claim_cancel(actor=request_user(request), claim_id=claim_id)
        claim = Claim.objects.select_related("volunteer__profile").get(pk=claim.pk)
        return Response(ShiftClaimSerializer(claim).data)

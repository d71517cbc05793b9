"""On the day: check-in and check-out, attendance and no-shows, and a volunteer's history."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.error_codes import raises
from backend.api.schema import ErrorSerializer
from backend.api.serializers_toolkit import (
    AttendanceRecordSerializer,
    AttendanceSerializer,
    BlockSerializer,
    HistorySerializer,
)
from backend.api.users import request_user
from backend.api.views.organisations import organisation_for
from backend.api.views.shifts import _visible_shift
from backend.core import errors
from backend.organisations.models import Membership
from backend.organisations.selectors import require_manager
from backend.organisations.services import membership_clear_claim_block
from backend.shifts import services
from backend.shifts.models import Claim
from backend.shifts.selectors import own_claim_id, volunteer_history

ATTENDANCE_ERRORS = OpenApiResponse(ErrorSerializer)
ATTENDING = raises(
    errors.CheckInNotPossible,
    errors.NotCheckedIn,
    errors.ShiftNotStarted,
    errors.ShiftNotEnded,
    errors.ClaimNotActive,
    errors.NoClaim,
)


def _own_claim_id(request: Request, shift_id: int) -> int:
    return own_claim_id(shift=_visible_shift(request, shift_id), user=request_user(request))


def _managed_claim_id(request: Request, shift_id: int, claim_id: int) -> int:
    shift = _visible_shift(request, shift_id)
    require_manager(user=request_user(request), organisation_id=shift.organisation_id)
    return get_object_or_404(Claim, pk=claim_id, shift=shift).pk


def _render(claim: Claim) -> Response:
    return Response(AttendanceSerializer(claim).data)


class MyCheckInView(APIView):
    @extend_schema(request=None, responses={200: AttendanceSerializer, 409: ATTENDANCE_ERRORS})
    @ATTENDING
    def post(self, request: Request, shift_id: int) -> Response:
        """Check in on your confirmed shift (from 30 minutes before it starts)."""
        claim_id = _own_claim_id(request, shift_id)
        return _render(services.claim_check_in(actor=request_user(request), claim_id=claim_id))


class MyCheckOutView(APIView):
    @extend_schema(request=None, responses={200: AttendanceSerializer, 409: ATTENDANCE_ERRORS})
    @ATTENDING
    def post(self, request: Request, shift_id: int) -> Response:
        """Check out: the claim is completed with the hours since you checked in."""
        claim_id = _own_claim_id(request, shift_id)
        return _render(services.claim_check_out(actor=request_user(request), claim_id=claim_id))


class ClaimCheckInView(APIView):
    @extend_schema(request=None, responses={200: AttendanceSerializer, 409: ATTENDANCE_ERRORS})
    @ATTENDING
    def post(self, request: Request, shift_id: int, claim_id: int) -> Response:
        """Check a volunteer in (coordinators)."""
        claim_id = _managed_claim_id(request, shift_id, claim_id)
        return _render(services.claim_check_in(actor=request_user(request), claim_id=claim_id))


class ClaimCheckOutView(APIView):
    @extend_schema(request=None, responses={200: AttendanceSerializer, 409: ATTENDANCE_ERRORS})
    @ATTENDING
    def post(self, request: Request, shift_id: int, claim_id: int) -> Response:
        """Check a volunteer out (coordinators)."""
        claim_id = _managed_claim_id(request, shift_id, claim_id)
        return _render(services.claim_check_out(actor=request_user(request), claim_id=claim_id))


class ClaimAttendanceView(APIView):
    @extend_schema(request=None, responses={200: AttendanceSerializer, 409: ATTENDANCE_ERRORS})
    @ATTENDING
    def post(self, request: Request, shift_id: int, claim_id: int) -> Response:
        """Confirm that the volunteer came (coordinators): completed, with the shift's hours."""
        claim_id = _managed_claim_id(request, shift_id, claim_id)
        return _render(
            services.claim_confirm_attendance(actor=request_user(request), claim_id=claim_id)
        )


class ClaimNoShowView(APIView):
    @extend_schema(request=None, responses={200: AttendanceSerializer, 409: ATTENDANCE_ERRORS})
    @ATTENDING
    def post(self, request: Request, shift_id: int, claim_id: int) -> Response:
        """Mark a volunteer who did not come as a no-show, after the shift (coordinators)."""
        claim_id = _managed_claim_id(request, shift_id, claim_id)
        return _render(services.claim_mark_no_show(actor=request_user(request), claim_id=claim_id))


class MemberBlockView(APIView):
    @extend_schema(responses=BlockSerializer)
    def get(self, request: Request, organisation_id: int, membership_id: int) -> Response:
        """A member's no-show count and whether their claims are blocked (coordinators)."""
        organisation = organisation_for(request, organisation_id, manage=True)
        membership = get_object_or_404(Membership, pk=membership_id, organisation=organisation)
        return Response(BlockSerializer(membership).data)

    @extend_schema(responses={200: BlockSerializer})
    def delete(self, request: Request, organisation_id: int, membership_id: int) -> Response:
        """Clear a member's no-shows so they can claim again (coordinators)."""
        organisation = organisation_for(request, organisation_id, manage=True)
        membership = get_object_or_404(Membership, pk=membership_id, organisation=organisation)
        membership = membership_clear_claim_block(
            actor=request_user(request), membership=membership
        )
        return Response(BlockSerializer(membership).data)


class MyHistoryView(APIView):
    @extend_schema(responses=HistorySerializer)
    def get(self, request: Request) -> Response:
        """Your past shifts and the hours you volunteered per organisation and per year."""
        history = volunteer_history(user=request_user(request), now=timezone.now())
        return Response(HistorySerializer(history).data)


class ShiftAttendanceView(APIView):
    @extend_schema(
        request=AttendanceRecordSerializer,
        responses={200: AttendanceSerializer(many=True), 409: ATTENDANCE_ERRORS},
    )
    @ATTENDING
    def post(self, request: Request, shift_id: int) -> Response:
        """After the shift (coordinators): the listed claims are no-shows, every other
        confirmed volunteer came and is completed with the shift's hours."""
        shift = _visible_shift(request, shift_id)
        require_manager(user=request_user(request), organisation_id=shift.organisation_id)
        data = AttendanceRecordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claims = services.shift_record_attendance(
            actor=request_user(request),
            shift_id=shift.pk,
            absent_claim_ids=data.validated_data["absent"],
        )
        return Response(AttendanceSerializer(claims, many=True).data)

"""Stand-ins and swaps (``backend.shifts.services.stand_ins`` and ``swaps``): a volunteer who
cannot come asks for a stand-in or proposes a swap; those asked accept or say no thanks."""

from __future__ import annotations

from django.db.models import Prefetch, prefetch_related_objects
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.error_codes import raises
from backend.api.schema import ErrorSerializer
from backend.api.serializers import ClaimSerializer
from backend.api.serializers_stand_ins import (
    AskedStandInSerializer,
    StandInRequestSerializer,
    SwapOfferSerializer,
    SwapProposalSerializer,
    SwapRequestSerializer,
)
from backend.api.users import request_user
from backend.api.views.shifts import _render_claim, _viewer_context
from backend.core import errors
from backend.organisations.models import Qualification
from backend.shifts import services
from backend.shifts.models import Claim, Shift

CONFLICTS = OpenApiResponse(ErrorSerializer)
CLAIM_RULES = (
    errors.NotMember,
    errors.ClaimBlocked,
    errors.TooYoung,
    errors.BirthDateRequired,
    errors.NotQualified,
    errors.Overlap,
    errors.TooManyClaims,
    errors.InfoNoteRequired,
)


class ClaimStandInView(APIView):
    @extend_schema(
        request=None,
        responses={
            201: OpenApiResponse(
                StandInRequestSerializer, description="Asked; the first wave is asked now"
            ),
            200: OpenApiResponse(
                StandInRequestSerializer, description="Already asked: the open request"
            ),
            409: CONFLICTS,
        },
    )
    @raises(errors.StandInTooLate, errors.ClaimNotActive, errors.ShiftStarted)
    def post(self, request: Request, claim_id: int) -> Response:
        """Ask for a stand-in for your confirmed claim, until the organisation's deadline
        before the start (72 hours unless it set another; after it, `stand_in_too_late`:
        cancel instead). You keep the seat, and stay responsible for it, until someone takes
        over; you are then told who. Volunteers who could claim the shift are asked in waves
        of 5 (those on its waitlist first), the next wave after 2 hours without a taker; the
        coordinators hear of it if nobody has taken over a day before the start."""
        existed = services.open_stand_in(claim_id) is not None
        asked = services.stand_in_ask(actor=request_user(request), claim_id=claim_id)
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return Response(StandInRequestSerializer(asked).data, status=code)

    @extend_schema(request=None, responses={200: StandInRequestSerializer, 409: CONFLICTS})
    @raises(errors.StandInTaken)
    def delete(self, request: Request, claim_id: int) -> Response:
        """Withdraw your request (you can come after all); `stand_in_taken` if someone has
        already taken over."""
        withdrawn = services.stand_in_withdraw(actor=request_user(request), claim_id=claim_id)
        return Response(StandInRequestSerializer(withdrawn).data)


class MyStandInRequestsView(APIView):
    @extend_schema(responses=AskedStandInSerializer(many=True))
    def get(self, request: Request) -> Response:
        """The requests you are asked to take over and have not answered, soonest first (a
        constant number of queries)."""
        asked = services.stand_ins_asked_of(user=request_user(request))
        shifts = _with_qualifications([a.shift for a in asked])
        context = _viewer_context(request, shifts)
        return Response(AskedStandInSerializer(asked, many=True, context=context).data)


def _with_qualifications(shifts: list[Shift]) -> list[Shift]:
    """The shifts' required qualifications in one query (the serializer lists them)."""
    prefetch_related_objects(
        shifts, Prefetch("required_qualifications", queryset=Qualification.objects.only("pk"))
    )
    return shifts


class StandInAcceptView(APIView):
    @extend_schema(
        request=None,
        responses={
            201: OpenApiResponse(ClaimSerializer, description="Your new claim"),
            409: CONFLICTS,
        },
    )
    @raises(errors.StandInTaken, errors.StandInClosed, errors.ShiftStarted, *CLAIM_RULES)
    def post(self, request: Request, request_id: int) -> Response:
        """Take over: the requester's seat becomes yours, at once and for good. The first to
        accept wins; after that, `stand_in_taken` (accepting again yourself returns your claim).
        You are judged as for a claim."""
        claim = services.stand_in_accept(actor=request_user(request), request_id=request_id)
        return Response(_render_claim(_loaded(claim)), status=status.HTTP_201_CREATED)


class StandInDeclineView(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, request_id: int) -> Response:
        """No thanks: you are not asked for this request again."""
        services.stand_in_decline(actor=request_user(request), request_id=request_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ClaimSwapView(APIView):
    @extend_schema(
        request=SwapProposalSerializer,
        responses={201: SwapRequestSerializer(many=True), 409: CONFLICTS},
    )
    @raises(
        errors.SwapNotPossible,
        errors.SwapClosed,
        errors.ClaimNotActive,
        errors.ShiftStarted,
        *CLAIM_RULES,
    )
    def post(self, request: Request, claim_id: int) -> Response:
        """Propose to swap your confirmed claim for a seat on another shift of the same
        organisation. The volunteers confirmed on that shift who could take yours (each
        judged as for a claim, the two swapped shifts never counting as an overlap) are
        offered the swap; the first to confirm swaps. You must be able to take the other
        shift (the claim rules' codes); `swap_not_possible` if nobody there can take
        yours."""
        proposal = SwapProposalSerializer(data=request.data)
        proposal.is_valid(raise_exception=True)
        offers = services.swap_propose(
            actor=request_user(request),
            claim_id=claim_id,
            shift_id=proposal.validated_data["shift"],
        )
        return Response(
            SwapRequestSerializer(offers, many=True).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, claim_id: int) -> Response:
        """Take back every open swap offer for your claim."""
        services.swap_withdraw(actor=request_user(request), claim_id=claim_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MySwapRequestsView(APIView):
    @extend_schema(responses=SwapOfferSerializer(many=True))
    def get(self, request: Request) -> Response:
        """Swaps offered to you, soonest first."""
        offers = services.swaps_offered_to(user=request_user(request))
        shifts = _with_qualifications(
            [s for o in offers for s in (o.partner_claim.shift, o.proposer_claim.shift)]
        )
        context = _viewer_context(request, shifts)
        return Response(SwapOfferSerializer(offers, many=True, context=context).data)


class SwapAcceptView(APIView):
    @extend_schema(
        request=None,
        responses={
            201: OpenApiResponse(ClaimSerializer, description="Your new claim"),
            409: CONFLICTS,
        },
    )
    @raises(errors.SwapClosed, errors.SwapNotPossible, errors.ShiftStarted)
    def post(self, request: Request, swap_id: int) -> Response:
        """Confirm the swap: your claim and the proposer's change hands in one step."""
        claim = services.swap_accept(actor=request_user(request), swap_id=swap_id)
        return Response(_render_claim(_loaded(claim)), status=status.HTTP_201_CREATED)


class SwapDeclineView(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, swap_id: int) -> Response:
        """No thanks."""
        services.swap_decline(actor=request_user(request), swap_id=swap_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _loaded(claim: Claim) -> Claim:
    return Claim.objects.select_related("shift__organisation").get(pk=claim.pk)

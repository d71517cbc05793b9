"""Belgian volunteer law: an organisation's information note, acknowledging it, and the proof
of who acknowledged which version (backend/organisations/info_note.py); the volunteer
allowance: the policy, the ledger, declarations and the legal caps
(backend/allowances/services.py)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.allowances import services as allowances
from backend.allowances.models import AllowanceEntry, OutsideDeclaration
from backend.api.error_codes import raises
from backend.api.serializers_law import (
    AcknowledgementSerializer,
    AcknowledgeSerializer,
    AllowancePolicySerializer,
    AllowancePolicyUpdateSerializer,
    CapSerializer,
    DeclarationSerializer,
    EntryCorrectSerializer,
    EntrySerializer,
    EntryWriteSerializer,
    InfoNoteSerializer,
    InfoNoteWriteSerializer,
    MyAllowanceSerializer,
    ObjectionSerializer,
)
from backend.api.users import request_user
from backend.api.views.figures import YearSerializer
from backend.api.views.formats import CSVBytesRenderer, OtherFormatView
from backend.api.views.organisations import organisation_for
from backend.core import errors
from backend.organisations import info_note
from backend.organisations.models import AckChannel
from backend.organisations.selectors import c45b_objections_running


class InfoNoteView(APIView):
    @extend_schema(responses=InfoNoteSerializer)
    def get(self, request: Request, organisation_id: int) -> Response:
        """The current version of the organisation's information note, for its members and
        for anyone who may claim one of its public shifts (404 while it has none)."""
        reading = info_note.info_note_read(
            user=request_user(request), organisation_id=organisation_id
        )
        return Response(InfoNoteSerializer.of(reading))

    @extend_schema(request=InfoNoteWriteSerializer, responses=InfoNoteSerializer)
    def put(self, request: Request, organisation_id: int) -> Response:
        """Write a new version (admins). Versions are kept; with `material`, every volunteer
        acknowledges the new one before their next claim."""
        data = InfoNoteWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        user = request_user(request)
        info_note.info_note_write(
            actor=user, organisation_id=organisation_id, material=values.pop("material"), **values
        )
        reading = info_note.info_note_read(user=user, organisation_id=organisation_id)
        return Response(InfoNoteSerializer.of(reading))


class AcknowledgeView(APIView):
    @extend_schema(request=AcknowledgeSerializer, responses=InfoNoteSerializer)
    @raises(errors.InfoNoteChanged)
    def post(self, request: Request, organisation_id: int) -> Response:
        """Confirm you read this version of the note (recorded with the time and the app as
        channel); claims in the organisation are then possible. Doing it again changes
        nothing."""
        data = AcknowledgeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request_user(request)
        info_note.info_note_acknowledge(
            user=user,
            organisation_id=organisation_id,
            version=data.validated_data["version"],
            channel=AckChannel.APP,
        )
        reading = info_note.info_note_read(user=user, organisation_id=organisation_id)
        return Response(InfoNoteSerializer.of(reading))


class AcknowledgementListView(OtherFormatView):
    renderer_classes = (JSONRenderer, CSVBytesRenderer)

    @extend_schema(
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"])],
        responses={
            (200, "application/json"): AcknowledgementSerializer(many=True),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="user_id,name,email,version,channel,acknowledged_at (local time)",
            ),
        },
    )
    def get(self, request: Request, organisation_id: int) -> Response:
        """Every acknowledgement of the note, oldest first: the organisation's proof that
        each volunteer was informed (coordinators)."""
        organisation = organisation_for(request, organisation_id, manage=True)
        rows = info_note.info_note_acknowledgements(
            actor=request_user(request), organisation_id=organisation.pk
        )
        if request.accepted_renderer.format == "csv":
            body = info_note.acknowledgements_csv(rows, time_zone=organisation.time_zone)
            response = Response(body)
            name = f"{organisation.slug}-information-note.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        required = organisation.info_note_version
        return Response(
            AcknowledgementSerializer(
                [
                    {
                        "id": ack.pk,
                        "user_id": ack.user_id,
                        "display_name": ack.user.profile.display_name,
                        "version": ack.version,
                        "channel": ack.channel,
                        "acknowledged_at": ack.acknowledged_at,
                        "up_to_date": required is not None and ack.version >= required,
                    }
                    for ack in rows
                ],
                many=True,
            ).data
        )


# --- the volunteer allowance ------------------------------------------------------------------


def _year(request: Request, time_zone: str = "Europe/Brussels") -> int:
    params = YearSerializer(data=request.query_params)
    if not params.is_valid():
        raise errors.ValidationFailed(fields={"year": [str(e) for e in params.errors["year"]]})
    year: int = params.validated_data.get(
        "year", timezone.now().astimezone(ZoneInfo(time_zone)).year
    )
    return year


YEAR = OpenApiParameter("year", OpenApiTypes.INT, description="Default: the current year.")
ALLOWANCE_ERRORS = raises(errors.AllowanceCapExceeded, errors.AllowanceRegimeConflict)


class AllowancePolicyView(APIView):
    @extend_schema(responses=AllowancePolicySerializer)
    def get(self, request: Request, organisation_id: int) -> Response:
        """What the organisation pays its volunteers (its members read it)."""
        organisation = organisation_for(request, organisation_id, manage=False)
        return Response(AllowancePolicySerializer(allowances.policy_of(organisation)).data)

    @extend_schema(request=AllowancePolicyUpdateSerializer, responses=AllowancePolicySerializer)
    def patch(self, request: Request, organisation_id: int) -> Response:
        """Change the policy (admins): none, a flat rate per shift or per day, or real costs;
        and a rate per kilometre for transport."""
        data = AllowancePolicyUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        policy = allowances.policy_update(
            actor=request_user(request), organisation_id=organisation_id, **data.validated_data
        )
        return Response(AllowancePolicySerializer(policy).data)


class CapListView(APIView):
    @extend_schema(responses=CapSerializer(many=True))
    def get(self, request: Request) -> Response:
        """The legal caps of the volunteer allowance, one row per year, with their source."""
        return Response(CapSerializer(allowances.caps_table(), many=True).data)


def _declarations(volunteer_id: int, year: int) -> list[dict[str, Any]]:
    return [
        {
            "id": d.pk,
            "organisation_name": d.organisation_name,
            "regime": d.regime,
            "amount": f"{d.amount:.2f}",
            "km": None if d.km is None else f"{d.km}",
            "day": d.day.isoformat() if d.day else None,
        }
        for d in OutsideDeclaration.objects.filter(volunteer_id=volunteer_id, year=year).order_by(
            "id"
        )
    ]


def _my_allowance(user_id: int, year: int) -> dict[str, Any]:
    totals = allowances.year_totals(volunteer_id=user_id, year=year)
    return MyAllowanceSerializer(
        {
            "year": year,
            "regime": totals.regime,
            "flat_rate": totals.flat_rate,
            "real_costs": totals.real_costs,
            "transport": totals.transport,
            "transport_km": totals.transport_km,
            "cap": totals.cap,
            "remaining": totals.yearly_room,
            "remaining_km": totals.km_room if totals.regime == "flat_rate" else None,
            "warning": totals.warn,
            "entries": allowances.entries_of(volunteer_id=user_id, year=year),
            "declarations": _declarations(user_id, year),
        }
    ).data


class MyAllowanceView(APIView):
    @extend_schema(parameters=[YEAR], responses=MyAllowanceSerializer)
    def get(self, request: Request) -> Response:
        """Your allowances of a year across every organisation, what you declared from
        others, and what remains under the legal caps."""
        user = request_user(request)
        return Response(_my_allowance(user.pk, _year(request)))


class MyDeclarationView(APIView):
    @extend_schema(request=DeclarationSerializer, responses={201: MyAllowanceSerializer})
    @raises(errors.AllowanceRegimeConflict)
    def post(self, request: Request) -> Response:
        """Declare what an organisation outside Inzet paid you this year: it counts towards
        the same caps."""
        data = DeclarationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request_user(request)
        declaration = allowances.declaration_add(volunteer=user, **data.validated_data)
        return Response(_my_allowance(user.pk, declaration.year), status=status.HTTP_201_CREATED)


class OrganisationAllowanceListView(OtherFormatView):
    renderer_classes = (JSONRenderer, CSVBytesRenderer)

    @extend_schema(
        parameters=[YEAR, OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"])],
        responses={
            (200, "application/json"): EntrySerializer(many=True),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="The nominative list: name,date,amount,regime,km,description",
            ),
        },
    )
    def get(self, request: Request, organisation_id: int) -> Response:
        """The organisation's allowance entries of a year, corrections applied
        (coordinators); as CSV, the yearly nominative list for its books."""
        organisation = organisation_for(request, organisation_id, manage=True)
        year = _year(request, organisation.time_zone)
        _, entries = allowances.organisation_ledger(
            actor=request_user(request), organisation_id=organisation.pk, year=year
        )
        if request.accepted_renderer.format == "csv":
            response = Response(allowances.nominative_list_csv(entries))
            name = f"{organisation.slug}-allowances-{year}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        return Response(EntrySerializer(entries, many=True).data)

    @extend_schema(request=EntryWriteSerializer, responses={201: EntrySerializer})
    @ALLOWANCE_ERRORS
    def post(self, request: Request, organisation_id: int) -> Response:
        """Enter an amount for a volunteer (coordinators): real costs against a receipt,
        transport by kilometre, or a flat-rate amount. Refused above the legal caps."""
        self._answer_in_json()  # only the list comes as CSV
        organisation = organisation_for(request, organisation_id, manage=True)
        data = EntryWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        entry = allowances.entry_add(
            actor=request_user(request),
            organisation_id=organisation.pk,
            volunteer_id=values.pop("volunteer"),
            **values,
        )
        return Response(EntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class EntryCorrectView(APIView):
    @extend_schema(request=EntryCorrectSerializer, responses={201: EntrySerializer})
    @ALLOWANCE_ERRORS
    def post(self, request: Request, organisation_id: int, entry_id: int) -> Response:
        """Correct an entry (coordinators): a new entry replaces it; the old one is kept with
        the reason."""
        organisation_for(request, organisation_id, manage=True)
        if not AllowanceEntry.objects.filter(pk=entry_id, organisation_id=organisation_id).exists():
            raise errors.NotFound()
        data = EntryCorrectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = allowances.entry_correct(
            actor=request_user(request), entry_id=entry_id, **data.validated_data
        )
        return Response(EntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class ObjectionListView(APIView):
    @extend_schema(responses=ObjectionSerializer(many=True))
    def get(self, request: Request, organisation_id: int) -> Response:
        """Members on unemployment benefit whose C45B declaration the RVA may still object to
        (within 12 working days of handing it in), the soonest end first (coordinators)."""
        organisation = organisation_for(request, organisation_id, manage=True)
        rows = c45b_objections_running(
            organisation=organisation,
            today=timezone.now().astimezone(ZoneInfo(organisation.time_zone)).date(),
        )
        return Response(ObjectionSerializer(rows, many=True).data)

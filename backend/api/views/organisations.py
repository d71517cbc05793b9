"""Organisations, joining with an invite code, members, invites and qualifications."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import User
from backend.accounts.services import profile_update
from backend.api.error_codes import raises
from backend.api.serializers import (
    HolderSerializer,
    InviteSerializer,
    JoinSerializer,
    MembershipRoleSerializer,
    MembershipSerializer,
    OrganisationCreateSerializer,
    OrganisationSerializer,
    OrganisationUpdateSerializer,
    QualificationSerializer,
)
from backend.api.users import request_user
from backend.core import errors
from backend.organisations import services
from backend.organisations.models import (
    InviteCode,
    Membership,
    Organisation,
    Qualification,
    VolunteerQualification,
)
from backend.organisations.selectors import access_organisation, membership_role


def organisation_for(request: Request, organisation_id: int, *, manage: bool) -> Organisation:
    """The organisation if the user belongs to it (404 otherwise: outsiders don't learn it
    exists); with ``manage``, members who are not coordinators get 403."""
    return access_organisation(
        user=request_user(request), organisation_id=organisation_id, manage=manage
    )


class OrganisationListView(generics.ListAPIView):
    """The organisations you belong to, with your role; POST creates one (you become admin)."""

    serializer_class = OrganisationSerializer

    def get_queryset(self) -> QuerySet[Organisation]:
        if getattr(self, "swagger_fake_view", False):
            return Organisation.objects.none()
        return Organisation.objects.filter(memberships__user=request_user(self.request)).order_by(
            "name"
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = cast(dict[str, Any], super().get_serializer_context())
        context["roles"] = dict(
            Membership.objects.filter(user=request_user(self.request)).values_list(
                "organisation_id", "role"
            )
        )
        return context

    @extend_schema(request=OrganisationCreateSerializer, responses={201: OrganisationSerializer})
    def post(self, request: Request) -> Response:
        data = OrganisationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = services.organisation_create(
            creator=request_user(request), **data.validated_data
        )
        body = OrganisationSerializer(organisation, context={"roles": {organisation.pk: "admin"}})
        return Response(body.data, status=status.HTTP_201_CREATED)


class OrganisationDetailView(APIView):
    @extend_schema(responses=OrganisationSerializer)
    def get(self, request: Request, organisation_id: int) -> Response:
        organisation = organisation_for(request, organisation_id, manage=False)
        role = membership_role(user=request_user(request), organisation_id=organisation.pk)
        return Response(
            OrganisationSerializer(organisation, context={"roles": {organisation.pk: role}}).data
        )

    @extend_schema(request=OrganisationUpdateSerializer, responses=OrganisationSerializer)
    def patch(self, request: Request, organisation_id: int) -> Response:
        """Change the organisation's settings (admins only)."""
        organisation = organisation_for(request, organisation_id, manage=False)
        data = OrganisationUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = services.organisation_update(
            actor=request_user(request),
            organisation_id=organisation.pk,
            **data.validated_data,
        )
        role = membership_role(user=request_user(request), organisation_id=organisation.pk)
        return Response(
            OrganisationSerializer(organisation, context={"roles": {organisation.pk: role}}).data
        )


class JoinView(APIView):
    """Join an organisation with an invite code; answers your membership."""

    @extend_schema(request=JoinSerializer, responses={200: OrganisationSerializer})
    @raises(errors.InvalidInviteCode)
    def post(self, request: Request) -> Response:
        data = JoinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request_user(request)
        if "birth_date" in data.validated_data:
            profile_update(user=user, birth_date=data.validated_data["birth_date"])
        membership = services.organisation_join(user=user, code=data.validated_data["code"])
        body = OrganisationSerializer(
            membership.organisation,
            context={"roles": {membership.organisation_id: membership.role}},
        )
        return Response(body.data)


class MemberListView(generics.ListAPIView):
    """Members of an organisation (coordinators and admins only)."""

    serializer_class = MembershipSerializer

    def get_queryset(self) -> QuerySet[Membership]:
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        organisation = organisation_for(self.request, self.kwargs["organisation_id"], manage=True)
        return (
            Membership.objects.filter(organisation=organisation)
            .select_related("user__profile")
            .order_by("user__profile__display_name", "id")
        )


class MemberDetailView(APIView):
    @extend_schema(request=MembershipRoleSerializer, responses=MembershipSerializer)
    def patch(self, request: Request, organisation_id: int, membership_id: int) -> Response:
        organisation = organisation_for(request, organisation_id, manage=True)
        membership = get_object_or_404(Membership, pk=membership_id, organisation=organisation)
        data = MembershipRoleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_set_role(
            actor=request_user(request), membership=membership, role=data.validated_data["role"]
        )
        return Response(MembershipSerializer(membership).data)


class InviteListView(APIView):
    """Invite codes of an organisation (coordinators and admins only)."""

    @extend_schema(responses=InviteSerializer(many=True))
    def get(self, request: Request, organisation_id: int) -> Response:
        organisation = organisation_for(request, organisation_id, manage=True)
        invites = InviteCode.objects.filter(organisation=organisation, revoked=False).order_by(
            "-created_at"
        )[:100]
        return Response(InviteSerializer(invites, many=True).data)

    @extend_schema(request=InviteSerializer, responses={201: InviteSerializer})
    def post(self, request: Request, organisation_id: int) -> Response:
        organisation = organisation_for(request, organisation_id, manage=True)
        data = InviteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invite = services.invite_create(
            actor=request_user(request),
            organisation=organisation,
            role=data.validated_data["role"],
            valid_for=dt.timedelta(days=data.validated_data["valid_days"]),
            max_uses=data.validated_data.get("max_uses"),
        )
        return Response(InviteSerializer(invite).data, status=status.HTTP_201_CREATED)


class InviteDetailView(APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, organisation_id: int, invite_id: int) -> Response:
        """Revoke an invite code (coordinators; admin invites: admins only). Joins that
        already used it keep their membership; later ones are refused."""
        organisation = organisation_for(request, organisation_id, manage=True)
        services.invite_revoke(
            actor=request_user(request), organisation=organisation, invite_id=invite_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class QualificationListView(generics.ListAPIView):
    """An organisation's catalogue of qualifications; coordinators add to it."""

    serializer_class = QualificationSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Qualification]:
        if getattr(self, "swagger_fake_view", False):
            return Qualification.objects.none()
        organisation = organisation_for(self.request, self.kwargs["organisation_id"], manage=False)
        return Qualification.objects.filter(organisation=organisation).order_by("name")

    @extend_schema(request=QualificationSerializer, responses={201: QualificationSerializer})
    def post(self, request: Request, organisation_id: int) -> Response:
        organisation = organisation_for(request, organisation_id, manage=True)
        data = QualificationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        qualification = services.qualification_create(
            actor=request_user(request), organisation=organisation, **data.validated_data
        )
        return Response(QualificationSerializer(qualification).data, status=status.HTTP_201_CREATED)


class HolderListView(generics.ListAPIView):
    """Who holds a qualification (coordinators only); POST confirms that a member holds it."""

    serializer_class = HolderSerializer
    pagination_class = None

    def _qualification(self) -> Qualification:
        organisation = organisation_for(self.request, self.kwargs["organisation_id"], manage=True)
        return get_object_or_404(
            Qualification, pk=self.kwargs["qualification_id"], organisation=organisation
        )

    def get_queryset(self) -> QuerySet[VolunteerQualification]:
        if getattr(self, "swagger_fake_view", False):
            return VolunteerQualification.objects.none()
        return (
            VolunteerQualification.objects.filter(qualification=self._qualification())
            .select_related("user__profile")
            .order_by("user__profile__display_name")
        )

    @extend_schema(request=HolderSerializer, responses={201: HolderSerializer})
    def post(self, request: Request, organisation_id: int, qualification_id: int) -> Response:
        qualification = self._qualification()
        data = HolderSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        holder = get_object_or_404(User, pk=data.validated_data["user_id"])
        held = services.qualification_grant(
            actor=request_user(request),
            qualification=qualification,
            user=holder,
            expires_on=data.validated_data.get("expires_on"),
        )
        return Response(HolderSerializer(held).data, status=status.HTTP_201_CREATED)


class HolderDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(
        self, request: Request, organisation_id: int, qualification_id: int, user_id: int
    ) -> Response:
        organisation = organisation_for(request, organisation_id, manage=True)
        held = get_object_or_404(
            VolunteerQualification.objects.select_related("qualification"),
            qualification_id=qualification_id,
            qualification__organisation=organisation,
            user_id=user_id,
        )
        services.qualification_revoke(actor=request_user(request), held=held)
        return Response(status=status.HTTP_204_NO_CONTENT)

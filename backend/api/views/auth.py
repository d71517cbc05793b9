"""Sign-up, JWT log-in, refresh and log-out; password reset, password and e-mail change."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from backend.accounts.models import User
from backend.accounts.recovery import (
    email_change_confirm,
    email_change_request,
    password_reset_confirm,
    password_reset_request,
)
from backend.accounts.services import password_change, user_register
from backend.accounts.sessions import TokenUsed, session_end, session_refresh
from backend.accounts.tokens import token_matches_password
from backend.api.authentication import password_changed
from backend.api.error_codes import raises
from backend.api.schema import ErrorSerializer
from backend.api.serializers import MeSerializer, RegisterSerializer
from backend.api.throttles import (
    EmailChangeThrottle,
    PasswordGuessThrottle,
    PasswordResetThrottle,
    RefreshThrottle,
    SignupThrottle,
    password_guess_failed,
)
from backend.core.errors import WrongPassword


class RegisterView(APIView):
    """Volunteer self-sign-up with e-mail and password."""

    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (SignupThrottle,)

    @extend_schema(request=RegisterSerializer, responses={201: MeSerializer})
    def post(self, request: Request) -> Response:
        data = RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_register(**data.validated_data)
        return Response(MeSerializer(user.profile).data, status=status.HTTP_201_CREATED)


class EmailTokenSerializer(TokenObtainPairSerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[Any, Any]:
        attrs[self.username_field] = str(attrs[self.username_field]).strip().lower()
        try:
            return super().validate(attrs)
        except exceptions.AuthenticationFailed:
            raise InvalidCredentials() from None


class InvalidCredentials(exceptions.AuthenticationFailed):
    default_code = "invalid_credentials"


class TokenPairSerializer(serializers.Serializer[dict[str, str]]):
    access = serializers.CharField(
        read_only=True, help_text="JWT for `Authorization: Bearer ...`, short-lived"
    )
    refresh = serializers.CharField(
        read_only=True, help_text="JWT for `POST /api/v1/auth/token/refresh/`"
    )


class TokenView(TokenObtainPairView):
    serializer_class = EmailTokenSerializer
    throttle_classes = (PasswordGuessThrottle,)

    @extend_schema(request=EmailTokenSerializer, responses={200: TokenPairSerializer})
    @raises(("invalid_credentials", 401))
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Log in with e-mail and password; answers an access and a refresh token. Wrong
        passwords are limited per client address and per account (429 `throttled` with
        `Retry-After`); a right one never counts."""
        try:
            return super().post(request, *args, **kwargs)
        except InvalidCredentials:
            password_guess_failed(request, self)
            raise


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """A new access token and a new refresh token; the refresh token given is used up. Refused
    (401) once it has been used, once the password has changed since it was issued, and for an
    account that has been deactivated."""

    refresh = serializers.CharField(write_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        refresh = self.token_class(attrs["refresh"])  # signature, expiry, not revoked
        user = User.objects.filter(pk=refresh.get(api_settings.USER_ID_CLAIM)).first()
        if user is None or not api_settings.USER_AUTHENTICATION_RULE(user):
            raise AuthenticationFailed(
                str(self.error_messages["no_active_account"]), "no_active_account"
            )
        if not token_matches_password(refresh, user):
            raise password_changed()
        access = str(refresh.access_token)
        try:
            renewed = session_refresh(refresh)
        except TokenUsed as error:
            raise InvalidToken(error.args[0]) from None
        return {"access": access, "refresh": str(renewed)}


class RefreshView(TokenRefreshView):
    serializer_class = TokenRefreshSerializer
    throttle_classes = (RefreshThrottle,)

    @extend_schema(request=TokenRefreshSerializer, responses={200: TokenPairSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A new access token and a new refresh token for a refresh token, which is then used
        up: keep the new one. 401 `token_not_valid` once it has been used, has expired or the
        password has changed since it was issued."""
        return super().post(request, *args, **kwargs)


class LogoutSerializer(serializers.Serializer[dict[str, str]]):
    refresh = serializers.CharField(help_text="the refresh token of the session to end")


class LogoutView(APIView):
    """End an app's session: its refresh token stops working (its access token runs out
    within minutes). No access token needed."""

    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (RefreshThrottle,)

    def get_authenticate_header(self, request: Request) -> str:
        # A refused token is a 401 (with this header), as on the refresh endpoint, not a 403.
        return f'{api_settings.AUTH_HEADER_TYPES[0]} realm="api"'

    @extend_schema(
        request=LogoutSerializer,
        responses={
            204: None,
            401: OpenApiResponse(ErrorSerializer, description="`token_not_valid`"),
        },
    )
    def post(self, request: Request) -> Response:
        """Log out. Idempotent: a refresh token that was already used or revoked answers 204
        too; one that is not ours, is no refresh token or has expired answers 401."""
        data = LogoutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        raw = data.validated_data["refresh"]
        try:
            token = RefreshToken(raw)
        except TokenError:
            try:  # revoked already, or not valid at all?
                payload = UntypedToken(raw).payload
            except TokenError as error:
                raise InvalidToken(error.args[0]) from None
            if payload.get(api_settings.TOKEN_TYPE_CLAIM) != RefreshToken.token_type:
                raise InvalidToken(str(_("Give a refresh token."))) from None
            return Response(status=status.HTTP_204_NO_CONTENT)
        session_end(token)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeSerializer(serializers.Serializer[dict[str, str]]):
    current_password = serializers.CharField(
        write_only=True, max_length=128, style={"input_type": "password"}
    )
    new_password = serializers.CharField(
        write_only=True, max_length=128, style={"input_type": "password"}
    )


class PasswordChangeView(APIView):
    throttle_classes = (PasswordGuessThrottle,)

    @extend_schema(
        request=PasswordChangeSerializer,
        responses={
            200: TokenPairSerializer,
            403: OpenApiResponse(ErrorSerializer, description="`wrong_password`"),
        },
    )
    @raises(WrongPassword)
    def post(self, request: Request) -> Response:
        """Change your password, giving the current one. Every session and socket from before
        ends, on every device; the answer is a new token pair for this app."""
        data = PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        try:
            password_change(
                user=user,
                current=data.validated_data["current_password"],
                new=data.validated_data["new_password"],
            )
        except WrongPassword:
            password_guess_failed(request, self)
            raise
        refresh = RefreshToken.for_user(user)
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})


def link_site(request: Request) -> str:
    """Where links in e-mails point: ``PUBLIC_URL``, else the address the request came to
    (checked against ALLOWED_HOSTS)."""
    return settings.PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")


class PasswordResetSerializer(serializers.Serializer[dict[str, str]]):
    email = serializers.EmailField(max_length=254)


class DetailSerializer(serializers.Serializer[dict[str, str]]):
    detail = serializers.CharField()


class PasswordResetView(APIView):
    """Forgotten password: a link to choose a new one is e-mailed."""

    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (PasswordResetThrottle,)

    @extend_schema(request=PasswordResetSerializer, responses={202: DetailSerializer})
    def post(self, request: Request) -> Response:
        """Ask for a password-reset e-mail. The answer is the same whether an account has this
        address or not. The link in the mail opens a page of this site (`/accounts/reset/
        <uid>/<token>/`); an app may read `uid` and `token` from it and call
        `password-reset/confirm/` instead. Limited per client address and per e-mail address."""
        data = PasswordResetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        password_reset_request(email=data.validated_data["email"], site=link_site(request))
        detail = _("If an account has this address, an e-mail with a link is on its way.")
        return Response({"detail": str(detail)}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmSerializer(serializers.Serializer[dict[str, str]]):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(
        write_only=True, max_length=128, style={"input_type": "password"}
    )


class PasswordResetConfirmView(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (SignupThrottle,)

    @extend_schema(
        request=PasswordResetConfirmSerializer,
        responses={204: None, 400: OpenApiResponse(ErrorSerializer, description="`invalid_link`")},
    )
    def post(self, request: Request) -> Response:
        """Set a new password with the `uid` and `token` of a reset link. Every session from
        before ends, on every device; log in with the new password. 400 `invalid_link` once
        the link was used or has expired."""
        data = PasswordResetConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        password_reset_confirm(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailChangeSerializer(serializers.Serializer[dict[str, str]]):
    email = serializers.EmailField(max_length=254, help_text="the new address")
    password = serializers.CharField(
        write_only=True, max_length=128, style={"input_type": "password"}
    )


class EmailChangeView(APIView):
    def get_throttles(self) -> list[BaseThrottle]:
        return [PasswordGuessThrottle(), EmailChangeThrottle()]

    @extend_schema(
        request=EmailChangeSerializer,
        responses={
            202: DetailSerializer,
            403: OpenApiResponse(ErrorSerializer, description="`wrong_password`"),
            409: OpenApiResponse(ErrorSerializer, description="`email_taken`"),
        },
    )
    def post(self, request: Request) -> Response:
        """Change your e-mail address, giving your password. A link is e-mailed to the new
        address; the change happens when it is followed (the page it opens, or
        `auth/email/confirm/` with the `token` from it). Until then you keep the old one."""
        data = EmailChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        try:
            email_change_request(
                user=user,
                new_email=data.validated_data["email"],
                password=data.validated_data["password"],
                site=link_site(request),
            )
        except WrongPassword:
            password_guess_failed(request, self)
            raise
        detail = _("An e-mail with a link to confirm is on its way to the new address.")
        return Response({"detail": str(detail)}, status=status.HTTP_202_ACCEPTED)


class EmailConfirmSerializer(serializers.Serializer[dict[str, str]]):
    token = serializers.CharField(
        max_length=1000, help_text="the last part of the link: `/accounts/email/<token>/`"
    )


class EmailConfirmView(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (SignupThrottle,)

    @extend_schema(
        request=EmailConfirmSerializer,
        responses={
            200: MeSerializer,
            400: OpenApiResponse(ErrorSerializer, description="`invalid_link`"),
            409: OpenApiResponse(ErrorSerializer, description="`email_taken`"),
        },
    )
    def post(self, request: Request) -> Response:
        """Confirm a new e-mail address with the token of the link mailed to it."""
        data = EmailConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = email_change_confirm(value=data.validated_data["token"])
        return Response(MeSerializer(user.profile).data)

"""Sign-up, JWT log-in, refresh and log-out."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from backend.accounts.models import User
from backend.accounts.services import password_change, user_register
from backend.accounts.sessions import TokenUsed, session_end, session_refresh
from backend.accounts.tokens import token_matches_password
from backend.api.authentication import password_changed
from backend.api.schema import ErrorSerializer
from backend.api.serializers import MeSerializer, RegisterSerializer
from backend.api.throttles import AuthThrottle


class RegisterView(APIView):
    """Volunteer self-sign-up with e-mail and password."""

    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (AuthThrottle,)
    throttle_scope = "auth"

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
    throttle_classes = (AuthThrottle,)
    throttle_scope = "auth"

    @extend_schema(request=EmailTokenSerializer, responses={200: TokenPairSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Log in with e-mail and password; answers an access and a refresh token."""
        return super().post(request, *args, **kwargs)


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
    throttle_classes = (AuthThrottle,)
    throttle_scope = "auth"

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
    throttle_classes = (AuthThrottle,)
    throttle_scope = "auth"

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
    throttle_classes = (AuthThrottle,)
    throttle_scope = "auth"

    @extend_schema(
        request=PasswordChangeSerializer,
        responses={
            200: TokenPairSerializer,
            403: OpenApiResponse(ErrorSerializer, description="`wrong_password`"),
        },
    )
    def post(self, request: Request) -> Response:
        """Change your password, giving the current one. Every session and socket from before
        ends, on every device; the answer is a new token pair for this app."""
        data = PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        password_change(
            user=user,
            current=data.validated_data["current_password"],
            new=data.validated_data["new_password"],
        )
        refresh = RefreshToken.for_user(user)
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})

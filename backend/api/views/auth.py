"""Sign-up and JWT log-in."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from backend.accounts.models import User
from backend.accounts.services import user_register
from backend.accounts.tokens import token_matches_password
from backend.api.authentication import password_changed
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


class AccessTokenSerializer(serializers.Serializer[dict[str, str]]):
    access = serializers.CharField(read_only=True, help_text="a new access JWT")


class TokenView(TokenObtainPairView):
    serializer_class = EmailTokenSerializer
    throttle_classes = (AuthThrottle,)
    throttle_scope = "auth"

    @extend_schema(request=EmailTokenSerializer, responses={200: TokenPairSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Log in with e-mail and password; answers an access and a refresh token."""
        return super().post(request, *args, **kwargs)


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """A new access token; refused (401) once the password has changed since the refresh
    token was issued."""

    refresh = serializers.CharField(write_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        refresh = self.token_class(attrs["refresh"])
        user = User.objects.filter(pk=refresh.get(api_settings.USER_ID_CLAIM)).first()
        if user is None:
            raise AuthenticationFailed(
                str(self.error_messages["no_active_account"]), "no_active_account"
            )
        if not token_matches_password(refresh, user):
            raise password_changed()
        return super().validate(attrs)


class RefreshView(TokenRefreshView):
    serializer_class = TokenRefreshSerializer
    throttle_classes = (AuthThrottle,)
    throttle_scope = "auth"

    @extend_schema(request=TokenRefreshSerializer, responses={200: AccessTokenSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A new access token for a refresh token (401 `token_not_valid` once it has expired
        or the password has changed since it was issued)."""
        return super().post(request, *args, **kwargs)

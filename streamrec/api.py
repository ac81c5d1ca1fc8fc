"""Accounts over the API: sign up, sign in for a token, sign out (revoke it), who am I."""
from django.contrib.auth import logout
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.views import APIView

from .accounts import register_user
from .api_errors import INVALID, THROTTLED, UNAUTHENTICATED


class RegisterSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, max_length=4096, style={"input_type": "password"})


class RegisteredSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    token = serializers.CharField(help_text="send it as the header `Authorization: Token <token>`")


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="send it as the header `Authorization: Token <token>`")


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    rating_count = serializers.IntegerField()
    watchlist_count = serializers.IntegerField()
    not_interested_count = serializers.IntegerField()


class RegisterView(APIView):
    """Create an account; answers with its token."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_scope = "auth"

    @extend_schema(summary="Sign up", request=RegisterSerializer, responses={201: RegisteredSerializer, **INVALID, **THROTTLED}, auth=[])
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = register_user(**serializer.validated_data)
        except DjangoValidationError as exc:
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"password": exc.messages}
            raise serializers.ValidationError(detail) from exc
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"id": user.pk, "username": user.username, "token": token.key}, status=status.HTTP_201_CREATED)


class LoginTokenView(ObtainAuthToken):
    """Exchange username and password for a token (header ``Authorization: Token <key>``)."""

    authentication_classes = []
    throttle_scope = "auth"
    # ObtainAuthToken sets its own (empty) throttle list; ours come back here.
    throttle_classes = APIView.throttle_classes

    @extend_schema(summary="Sign in: username and password for a token", request=AuthTokenSerializer, responses={200: TokenSerializer, **INVALID, **THROTTLED}, auth=[])
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class LogoutView(APIView):
    """Revoke the caller's token (every device using it is signed out) and end the browser session."""

    @extend_schema(summary="Sign out: revoke my token", request=None, responses={204: None, **UNAUTHENTICATED})
    def post(self, request):
        Token.objects.filter(user=request.user).delete()
        if request.session is not None and request.user.is_authenticated and hasattr(request, "_request"):
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(summary="Who am I", responses={200: MeSerializer, **UNAUTHENTICATED})
    def get(self, request):
        user = request.user
        return Response(
            MeSerializer(
                {
                    "id": user.pk,
                    "username": user.username,
                    "rating_count": user.ratings.count(),
                    "watchlist_count": user.watchlist.filter(title__is_active=True).count(),
                    "not_interested_count": user.dismissals.count(),
                }
            ).data
        )


class NotFoundView(APIView):
    """Every path under /api/v1/ that names no endpoint: 404 in the API's error format, whatever the method."""

    permission_classes = [permissions.AllowAny]
    schema = None  # not an endpoint

    def initial(self, request, *args, **kwargs):
        from rest_framework.exceptions import NotFound

        raise NotFound("No API endpoint at this path.")

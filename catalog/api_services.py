"""API of a person's streaming services: ``GET, PUT me/services/`` and the ``services`` query parameter
that the list endpoints (titles, similar, recommendations) take."""
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from streamrec.api_errors import INVALID, UNAUTHENTICATED

from .my_services import MyServices, platform_data_exists, services_of
from .selectors import TitleFilters
from .services import set_streaming_services

SERVICES_HELP = "mine: only titles on the platforms of the signed-in user's services (GET me/services/); all (default): every platform"
# The most platforms one request may name (there are a handful; this bounds the work of a bad request).
MAX_PLATFORMS = 50


def services_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=[("all", "all"), ("mine", "mine")], required=False, default="all", help_text=SERVICES_HELP)


def services_filters(request, services: str, filters: TitleFilters) -> TitleFilters:
    """``filters`` kept to the caller's services when they asked ``services=mine`` (the switch of the
    site's pages does not apply: the parameter says it). ``mine`` without a sign-in is a 401; with no
    services chosen it keeps nothing out."""
    if services != "mine":
        return filters
    if not request.user or not request.user.is_authenticated:
        raise NotAuthenticated("services=mine needs a signed-in user.")
    return services_of(request.user).filters(filters, everything=False)


class PlatformRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    colour = serializers.CharField(help_text="#rrggbb")
    logo_url = serializers.CharField(allow_blank=True)


class MyServicesSerializer(serializers.Serializer):
    platforms = serializers.ListField(
        child=serializers.CharField(max_length=40), max_length=MAX_PLATFORMS,
        help_text='platform slugs, e.g. ["netflix", "disney-plus"]; an empty list: no services chosen, lists are not filtered',
    )
    details = PlatformRefSerializer(many=True, read_only=True, help_text="the chosen platforms, by name")
    everything = serializers.BooleanField(read_only=True, help_text="the site's switch: its pages show every platform")
    platform_data = serializers.BooleanField(read_only=True, help_text="false: no platform catalog imported yet")


def services_data(services: MyServices) -> dict:
    return {
        "platforms": list(services.slugs),
        "details": list(services.platforms),
        "everything": services.everything,
        "platform_data": platform_data_exists(),
    }


class MyServicesView(APIView):
    """The streaming platforms the signed-in user has. ``services=mine`` on the list endpoints keeps
    to them; the site's pages keep to them unless the person switches to everything."""

    @extend_schema(summary="My streaming services", responses={200: MyServicesSerializer, **UNAUTHENTICATED})
    def get(self, request):
        return Response(MyServicesSerializer(services_data(services_of(request.user))).data)

    @extend_schema(
        summary="Choose my streaming services",
        request=MyServicesSerializer,
        responses={200: MyServicesSerializer, **INVALID, **UNAUTHENTICATED},
    )
    def put(self, request):
        body = MyServicesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            set_streaming_services(user=request.user, slugs=body.validated_data["platforms"])
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"platforms": exc.messages}) from exc
        return Response(MyServicesSerializer(services_data(services_of(request.user))).data)

"""The signed-in user's watch events: a player reports start, progress and finish; the list shows
them newest first; one can be deleted. Only ever the caller's own events."""
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, PolymorphicProxySerializer, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from streamrec.api_errors import INVALID, NOT_FOUND, UNAUTHENTICATED
from streamrec.api_fields import Pagination, TitleSummarySerializer, object_id

from .models import WatchEvent
from .selectors import watch_events
from .watch_services import MAX_EVENTS_PER_REQUEST, EventInput, InvalidEvents, delete_event, record_events

EVENT_ID_PATH = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="the watch event's id")


class WatchEventSerializer(serializers.ModelSerializer):
    title = serializers.IntegerField(source="title_id", min_value=1, max_value=2**63 - 1, help_text="title id")
    title_detail = TitleSummarySerializer(source="title", read_only=True)
    position_seconds = serializers.IntegerField(min_value=0, max_value=2**31 - 1)
    duration_seconds = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    client_event_id = serializers.CharField(min_length=1, max_length=64, help_text="the client's own id: a resend is harmless")

    class Meta:
        model = WatchEvent
        fields = ["id", "title", "title_detail", "event", "position_seconds", "duration_seconds", "client_event_id",
                  "occurred_at", "received_at"]
        read_only_fields = ["id", "received_at"]


class WatchEventBatchSerializer(serializers.Serializer):
    events = WatchEventSerializer(many=True, min_length=1, max_length=MAX_EVENTS_PER_REQUEST)


class RecordResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="events stored now")
    duplicates = serializers.IntegerField(help_text="events already stored (a resend), skipped")
    paused = serializers.BooleanField(help_text="the watch history is paused: nothing was stored")


EVENTS_REQUEST = PolymorphicProxySerializer(
    component_name="WatchEventsRequest", serializers=[WatchEventSerializer, WatchEventBatchSerializer],
    resource_type_field_name=None)


def as_input(data: dict) -> EventInput:
    return EventInput(title_id=data["title_id"], event=data["event"], position_seconds=data["position_seconds"],
                      duration_seconds=data["duration_seconds"], client_event_id=data["client_event_id"],
                      occurred_at=data["occurred_at"])


@extend_schema_view(
    list=extend_schema(summary="My watch events, newest first",
                       responses={200: WatchEventSerializer(many=True), 404: NOT_FOUND[404], **UNAUTHENTICATED}),
    create=extend_schema(
        summary="Report watch events (one, or a batch under `events`)",
        description=(
            f"`event` is `start`, `progress` or `finish`. Up to {MAX_EVENTS_PER_REQUEST} events in one transaction, or "
            "none when one is invalid (an unknown title, a position past the duration, a time in the future). "
            "An event whose `client_event_id` is already stored is skipped, so resending a batch is harmless. "
            "While the user has paused their watch history nothing is stored (`paused`: true)."
        ),
        request=EVENTS_REQUEST,
        responses={200: RecordResultSerializer, 201: RecordResultSerializer, **INVALID, **UNAUTHENTICATED},
    ),
    destroy=extend_schema(summary="Delete one of my watch events", parameters=[EVENT_ID_PATH],
                          responses={204: None, **NOT_FOUND, **UNAUTHENTICATED}),
)
class MyWatchEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = WatchEventSerializer
    pagination_class = Pagination
    lookup_value_regex = r"[^/]+"  # any value: a non-id answers a JSON 404

    def get_queryset(self):
        return watch_events(self.request.user).prefetch_related("title__genres")

    def create(self, request):
        batch = isinstance(request.data, dict) and "events" in request.data
        serializer = (WatchEventBatchSerializer if batch else WatchEventSerializer)(data=request.data)
        serializer.is_valid(raise_exception=True)
        events = serializer.validated_data["events"] if batch else [serializer.validated_data]
        try:
            result = record_events(user=request.user, items=[as_input(event) for event in events])
        except InvalidEvents as exc:
            prefix = "events.{}." if batch else ""
            raise serializers.ValidationError({prefix.format(index) + field: [message]
                                               for index, fields in exc.by_event.items()
                                               for field, message in fields.items()}) from exc
        body = RecordResultSerializer({"created": result.created, "duplicates": result.duplicates, "paused": result.paused}).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    def destroy(self, request, pk=None):
        if not delete_event(user=request.user, event_id=object_id(pk)):
            raise NotFound("You have no watch event with this id.")
        return Response(status=status.HTTP_204_NO_CONTENT)

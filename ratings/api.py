"""The signed-in user's ratings (with a bulk sync for offline mobile clients), watchlist and
not-interested list. Each is addressed by title id and only ever shows or changes the caller's own rows."""
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from streamrec.api_errors import INVALID, NOT_FOUND, UNAUTHENTICATED
from streamrec.api_fields import Pagination, TitleSummarySerializer, object_id

from .models import ALLOWED_SCORES, Dismissal, WatchlistEntry, title_model
from .personal_data import personal_data
from .selectors import active_titles, user_ratings, user_watchlist
from .services import (
    add_to_watchlist, dismiss_title, rate_title, remove_from_watchlist, remove_rating, undo_dismissal, validate_score,
)
from .sync import SYNC_MAX_CHANGES, SyncChange, sync_ratings

SCORE_HELP = f"one of {', '.join(f'{s:g}' for s in ALLOWED_SCORES)}"
TITLE_ID_PATH = OpenApiParameter("title_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="the title's id")


def score_field(**kwargs):
    return serializers.FloatField(min_value=0.5, max_value=5.0, help_text=SCORE_HELP, **kwargs)


def check_score(value):
    try:
        return validate_score(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from exc


class RatingSerializer(serializers.Serializer):
    title = serializers.IntegerField(source="title_id", min_value=1, help_text="title id")
    title_detail = TitleSummarySerializer(source="title", read_only=True)
    score = score_field()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate_score(self, value):
        return check_score(value)


class ScoreSerializer(serializers.Serializer):
    score = score_field()

    def validate_score(self, value):
        return check_score(value)


class SyncChangeSerializer(serializers.Serializer):
    title = serializers.IntegerField(min_value=1, help_text="title id")
    score = score_field(allow_null=True)
    changed_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="when the change was made on the device (default: now)"
    )

    def validate_score(self, value):
        return None if value is None else check_score(value)


class SyncRequestSerializer(serializers.Serializer):
    changes = SyncChangeSerializer(many=True, max_length=SYNC_MAX_CHANGES, allow_empty=True)


class SyncOutcomeSerializer(serializers.Serializer):
    title = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=["created", "updated", "deleted", "unchanged", "stale"])


class SyncResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    deleted = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    stale = serializers.IntegerField(help_text="changes older than the server's copy, skipped")
    results = SyncOutcomeSerializer(many=True)


class TitleRefSerializer(serializers.Serializer):
    title = serializers.IntegerField(min_value=1, help_text="title id")


class WatchlistEntrySerializer(serializers.ModelSerializer):
    title = serializers.IntegerField(source="title_id")
    title_detail = TitleSummarySerializer(source="title", read_only=True)

    class Meta:
        model = WatchlistEntry
        fields = ["title", "title_detail", "added_at"]


class DismissalSerializer(serializers.ModelSerializer):
    title = serializers.IntegerField(source="title_id")
    title_detail = TitleSummarySerializer(source="title", read_only=True)

    class Meta:
        model = Dismissal
        fields = ["title", "title_detail", "dismissed_at"]


def active_title(title_id, field: str | None = None):
    """The active title with this id: else 400 on ``field`` (body references) or 404 (paths)."""
    title = active_titles().filter(pk=title_id).first() if 0 < int(title_id) <= 2**63 - 1 else None
    if title is None:
        if field:
            raise serializers.ValidationError({field: [f"No active title with id {title_id}."]})
        raise NotFound(f"No active title with id {title_id}.")
    return title


WRITE_RESPONSES = {**INVALID, **UNAUTHENTICATED}


@extend_schema_view(
    list=extend_schema(summary="My ratings, newest first", responses={200: RatingSerializer(many=True), 404: NOT_FOUND[404], **UNAUTHENTICATED}),
    create=extend_schema(
        summary="Rate a title (or change my rating of it)",
        request=RatingSerializer,
        responses={200: RatingSerializer, 201: RatingSerializer, **WRITE_RESPONSES},
    ),
    retrieve=extend_schema(summary="My rating of a title", parameters=[TITLE_ID_PATH], responses={200: RatingSerializer, **NOT_FOUND, **UNAUTHENTICATED}),
    update=extend_schema(
        summary="Set my rating of a title", parameters=[TITLE_ID_PATH], request=ScoreSerializer,
        responses={200: RatingSerializer, 201: RatingSerializer, **WRITE_RESPONSES, **NOT_FOUND},
    ),
    partial_update=extend_schema(
        summary="Set my rating of a title", parameters=[TITLE_ID_PATH], request=ScoreSerializer,
        responses={200: RatingSerializer, 201: RatingSerializer, **WRITE_RESPONSES, **NOT_FOUND},
    ),
    destroy=extend_schema(summary="Remove my rating of a title", parameters=[TITLE_ID_PATH], responses={204: None, **NOT_FOUND, **UNAUTHENTICATED}),
)
class MyRatingViewSet(viewsets.GenericViewSet):
    """The signed-in user's own ratings, addressed by title id."""

    serializer_class = RatingSerializer
    pagination_class = Pagination
    throttle_scope = None  # the sync action has its own scope
    lookup_field = "title_id"
    lookup_value_regex = r"[^/]+"  # any value: a non-id answers a JSON 404

    def get_queryset(self):
        return user_ratings(self.request.user).prefetch_related("title__genres")

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(RatingSerializer(page, many=True).data)

    def create(self, request):
        serializer = RatingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        title = active_title(serializer.validated_data["title_id"], field="title")
        rating, created = self._rate(request.user, title, serializer.validated_data["score"])
        return Response(RatingSerializer(rating).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def retrieve(self, request, title_id=None):
        rating = self.get_queryset().filter(title_id=object_id(title_id)).first()
        if rating is None:
            raise NotFound("You have not rated this title.")
        return Response(RatingSerializer(rating).data)

    def update(self, request, title_id=None, partial=False):
        title = active_title(object_id(title_id))
        serializer = ScoreSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rating, created = self._rate(request.user, title, serializer.validated_data["score"])
        return Response(RatingSerializer(rating).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    partial_update = update

    def destroy(self, request, title_id=None):
        title = active_title(object_id(title_id))
        if not remove_rating(user=request.user, title=title):
            raise NotFound("You have not rated this title.")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Upload ratings changed offline (idempotent bulk upsert)",
        description=(
            "Each change creates, changes or (with `score` null) removes a rating. The newest change wins: one made "
            "before the server's copy last changed is skipped as `stale`. All changes are applied in one transaction, "
            "or none when one refers to an unknown title or has a bad score. Replaying the same batch changes nothing."
        ),
        request=SyncRequestSerializer,
        responses={200: SyncResultSerializer, **WRITE_RESPONSES},
    )
    @action(detail=False, methods=["post"], url_path="sync", throttle_scope="sync")
    def sync(self, request):
        serializer = SyncRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = [
            SyncChange(title_id=item["title"], score=item["score"], changed_at=item.get("changed_at"))
            for item in serializer.validated_data["changes"]
        ]
        try:
            result = sync_ratings(user=request.user, changes=changes)
        except DjangoValidationError as exc:
            detail = {f"changes.{key}": value for key, value in exc.message_dict.items()} if hasattr(exc, "error_dict") else exc.messages
            raise serializers.ValidationError(detail) from exc
        body = {
            "created": result.created, "updated": result.updated, "deleted": result.deleted,
            "unchanged": result.unchanged, "stale": result.stale,
            "results": [{"title": title_id, "outcome": outcome} for title_id, outcome in result.outcomes],
        }
        return Response(SyncResultSerializer(body).data)

    @staticmethod
    def _rate(user, title, score):
        try:
            return rate_title(user=user, title=title, score=score)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"score": exc.messages}) from exc


class TitleListViewSet(viewsets.GenericViewSet):
    """A personal list of titles (watchlist or not-interested): list, add by title id, remove."""

    pagination_class = Pagination
    lookup_field = "title_id"
    lookup_value_regex = r"[^/]+"  # any value: a non-id answers a JSON 404
    add = remove = None  # service functions (user=, title=) -> bool

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request):
        ref = TitleRefSerializer(data=request.data)
        ref.is_valid(raise_exception=True)
        title = active_title(ref.validated_data["title"], field="title")
        created = type(self).add(user=request.user, title=title)
        entry = self.get_queryset().get(title=title)
        return Response(self.get_serializer(entry).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def destroy(self, request, title_id=None):
        title = title_model().objects.filter(pk=object_id(title_id)).first()
        if title is None or not type(self).remove(user=request.user, title=title):
            raise NotFound("This title is not on your list.")
        return Response(status=status.HTTP_204_NO_CONTENT)


def list_schema(what: str, serializer):
    return extend_schema_view(
        list=extend_schema(summary=f"My {what}", responses={200: serializer(many=True), 404: NOT_FOUND[404], **UNAUTHENTICATED}),
        create=extend_schema(
            summary=f"Add a title to my {what}", request=TitleRefSerializer,
            responses={200: serializer, 201: serializer, **WRITE_RESPONSES},
        ),
        destroy=extend_schema(
            summary=f"Remove a title from my {what}", parameters=[TITLE_ID_PATH], responses={204: None, **NOT_FOUND, **UNAUTHENTICATED}
        ),
    )


@list_schema("watchlist", WatchlistEntrySerializer)
class MyWatchlistViewSet(TitleListViewSet):
    serializer_class = WatchlistEntrySerializer
    add, remove = staticmethod(add_to_watchlist), staticmethod(remove_from_watchlist)

    def get_queryset(self):
        return user_watchlist(self.request.user).prefetch_related("title__genres").order_by("-added_at", "-pk")


@list_schema("not-interested list (titles never recommended to me)", DismissalSerializer)
class MyNotInterestedViewSet(TitleListViewSet):
    serializer_class = DismissalSerializer
    add, remove = staticmethod(dismiss_title), staticmethod(undo_dismissal)

    def get_queryset(self):
        return (
            Dismissal.objects.filter(user=self.request.user).select_related("title").prefetch_related("title__genres")
            .order_by("-dismissed_at", "-pk")
        )


@extend_schema(
    summary="Everything held about the signed-in person",
    description="One JSON document: account, settings, ratings, watchlist, not-interested titles, whether an API "
                "token exists (never the token) and recorded sign-in failures. Fields: README.md, 'Your data'.",
    responses={200: OpenApiTypes.OBJECT, **UNAUTHENTICATED},
)
class MyDataExportView(APIView):
    def get(self, request):
        return Response(personal_data(request.user))

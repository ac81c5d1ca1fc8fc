from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from catalog.api import TitleSummarySerializer
from catalog.selectors import active_titles

from .models import ALLOWED_SCORES
from .selectors import user_ratings
from .services import rate_title, remove_rating, validate_score


class RatingSerializer(serializers.Serializer):
    title = serializers.IntegerField(source="title_id", help_text="title id")
    title_detail = TitleSummarySerializer(source="title", read_only=True)
    score = serializers.FloatField(help_text=f"one of {', '.join(str(s) for s in ALLOWED_SCORES)}")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate_score(self, value):
        try:
            return validate_score(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


class ScoreSerializer(serializers.Serializer):
    score = serializers.FloatField()

    validate_score = RatingSerializer.validate_score


class MyRatingViewSet(viewsets.GenericViewSet):
    """The signed-in user's own ratings, addressed by title id."""

    serializer_class = RatingSerializer
    lookup_field = "title_id"
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return user_ratings(self.request.user).prefetch_related("title__genres")

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(RatingSerializer(page, many=True).data)

    def create(self, request):
        serializer = RatingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        title = self._title(serializer.validated_data["title_id"], field="title")
        rating, created = self._rate(request.user, title, serializer.validated_data["score"])
        return Response(RatingSerializer(rating).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def retrieve(self, request, title_id=None):
        rating = get_object_or_404(self.get_queryset(), title_id=title_id)
        return Response(RatingSerializer(rating).data)

    def update(self, request, title_id=None):
        serializer = ScoreSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rating, created = self._rate(request.user, self._title(title_id), serializer.validated_data["score"])
        return Response(RatingSerializer(rating).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    partial_update = update

    def destroy(self, request, title_id=None):
        title = get_object_or_404(active_titles(), pk=title_id)
        if not remove_rating(user=request.user, title=title):
            return Response({"detail": "You have not rated this title."}, status=status.HTTP_404_NOT_FOUND)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @staticmethod
    def _title(title_id, field: str | None = None):
        title = active_titles().filter(pk=title_id).first()
        if title is None:
            if field:
                raise serializers.ValidationError({field: [f"No active title with id {title_id}."]})
            raise NotFound(f"No active title with id {title_id}.")
        return title

    @staticmethod
    def _rate(user, title, score):
        try:
            return rate_title(user=user, title=title, score=score)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"score": exc.messages}) from exc

from rest_framework import mixins, permissions, serializers, viewsets

from .models import Title
from .selectors import TitleFilters, search_titles


class TitleSummarySerializer(serializers.ModelSerializer):
    genres = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = Title
        fields = ["id", "name", "year", "genres"]


class TitleSerializer(serializers.ModelSerializer):
    genres = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    rating_count = serializers.IntegerField(read_only=True)
    rating_average = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Title
        fields = [
            "id", "kind", "name", "year", "genres", "description", "runtime_minutes", "seasons",
            "maturity_rating", "movielens_id", "tmdb_id", "imdb_id", "rating_count", "rating_average",
        ]


class TitleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Active titles; ``?search=`` matches the name, ``?genre=`` and ``?kind=`` filter."""

    serializer_class = TitleSerializer
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        params = self.request.query_params
        kind = params.get("kind", "")
        return search_titles(
            TitleFilters(
                search=params.get("search", "").strip(),
                genre=params.get("genre", "").strip(),
                kind=kind if kind in Title.Kind.values else "",
            )
        )

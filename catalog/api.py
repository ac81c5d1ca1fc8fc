"""Catalog API: titles (list, detail, similar, score), people and their filmographies, genres,
platforms, and catalog facts. Reads only; anyone may call them (anonymous calls are throttled per IP)."""
import dataclasses

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from streamrec.api_errors import INVALID, NOT_FOUND, THROTTLED, UNAUTHENTICATED
from streamrec.api_fields import Pagination, SafeCharField, TitleSummarySerializer, object_id

from .api_services import services_field, services_filters
from .models import Credit, Genre, Person, Platform, Title
from .my_services import services_of
from .personalization import personalization
from .release_facts import releases_per_month, releases_per_weekday
from .tag_selectors import top_tags
from .selectors import (
    TITLE_ORDERINGS, TitleBrowse, TitleFilters, genres_with_counts, listing, people, person_filmography,
    platforms_with_counts, title_detail, title_score,
)

# --- Serializers ------------------------------------------------------------------------------------------


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


class CreditSerializer(serializers.ModelSerializer):
    person_id = serializers.IntegerField(source="person.id", read_only=True)
    name = serializers.CharField(source="person.name", read_only=True)

    class Meta:
        model = Credit
        fields = ["person_id", "name", "role", "character", "order"]


class AvailabilitySerializer(serializers.Serializer):
    slug = serializers.CharField(source="platform.slug")
    name = serializers.CharField(source="platform.name")
    colour = serializers.CharField(source="platform.colour", help_text="#rrggbb")
    logo_url = serializers.CharField(source="platform.logo_url", allow_blank=True)
    platform_item_id = serializers.CharField()
    date_added = serializers.DateField(allow_null=True)
    mine = serializers.SerializerMethodField(help_text="one of the signed-in user's services (false when signed out)")

    def get_mine(self, availability) -> bool:
        return availability.platform.slug in self.context.get("my_platforms", ())


class TagCountSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="normalised: lower case, single spaces")
    count = serializers.IntegerField(help_text="people who applied it")


class TitleDetailSerializer(TitleSerializer):
    people = CreditSerializer(source="credits", many=True, read_only=True)
    platforms = AvailabilitySerializer(source="availabilities", many=True, read_only=True)
    tags = serializers.SerializerMethodField(help_text="the title's most applied user tags, most people first")

    class Meta(TitleSerializer.Meta):
        fields = TitleSerializer.Meta.fields + ["people", "platforms", "tags"]

    @extend_schema_field(TagCountSerializer(many=True))
    def get_tags(self, title) -> list[dict]:
        return top_tags(title.pk)


class TitleScoreSerializer(serializers.Serializer):
    title = TitleSummarySerializer()
    rating_count = serializers.IntegerField(help_text="ratings on StreamRec")
    rating_average = serializers.FloatField(allow_null=True)
    damped_average = serializers.FloatField(help_text="Bayesian average, pulled towards the global mean")
    tmdb_vote_average = serializers.FloatField(allow_null=True)
    tmdb_vote_count = serializers.IntegerField(allow_null=True)


class TitleQuerySerializer(serializers.Serializer):
    search = SafeCharField(help_text="words of the title's name; near spellings match too (\"godfater\")")
    genre = SafeCharField(help_text="genre name, e.g. Comedy")
    kind = serializers.ChoiceField(choices=Title.Kind.choices, required=False, default="", allow_blank=True)
    platform = SafeCharField(help_text="platform slug, e.g. netflix")
    year_min = serializers.IntegerField(required=False, min_value=1870, max_value=2100)
    year_max = serializers.IntegerField(required=False, min_value=1870, max_value=2100)
    min_average = serializers.FloatField(required=False, min_value=0.5, max_value=5.0, help_text="minimum average rating")
    min_votes = serializers.IntegerField(required=False, min_value=0, max_value=10**9, help_text="minimum number of ratings")
    ordering = serializers.ChoiceField(choices=list(TITLE_ORDERINGS), required=False, default="", allow_blank=True,
                                       help_text="default: relevance (closest names first) with a search, else popular")
    services = services_field()

    def validate(self, data):
        if data.get("year_min") is not None and data.get("year_max") is not None and data["year_min"] > data["year_max"]:
            raise serializers.ValidationError({"year_max": ["Must not be before year_min."]})
        return data

    def browse(self) -> TitleBrowse:
        data = self.validated_data
        return TitleBrowse(
            filters=TitleFilters(search=data["search"], genre=data["genre"], kind=data["kind"], platform=data["platform"]),
            year_min=data.get("year_min"), year_max=data.get("year_max"), min_average=data.get("min_average"),
            min_votes=data.get("min_votes"), ordering=data["ordering"] or ("relevance" if data["search"].strip() else "popular"),
        )


class CountQuerySerializer(serializers.Serializer):
    n = serializers.IntegerField(min_value=1, max_value=50, default=10)


class SimilarQuerySerializer(CountQuerySerializer):
    services = services_field()


class GenreSerializer(serializers.ModelSerializer):
    title_count = serializers.IntegerField(read_only=True, help_text="active titles in the genre")

    class Meta:
        model = Genre
        fields = ["id", "name", "title_count"]


class PlatformSerializer(serializers.ModelSerializer):
    title_count = serializers.IntegerField(read_only=True, help_text="active titles on the platform")

    class Meta:
        model = Platform
        fields = ["id", "slug", "name", "title_count"]


class PersonSerializer(serializers.ModelSerializer):
    credit_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Person
        fields = ["id", "name", "tmdb_id", "credit_count"]


class PersonQuerySerializer(serializers.Serializer):
    search = SafeCharField(help_text="part of the person's name")
    role = serializers.ChoiceField(choices=Credit.Role.choices, required=False, default="", allow_blank=True)


class FilmographyTitleSerializer(TitleSummarySerializer):
    kind = serializers.ChoiceField(choices=Title.Kind.choices, required=False)
    rating_count = serializers.IntegerField()
    rating_average = serializers.FloatField(allow_null=True)
    tmdb_vote_average = serializers.FloatField(allow_null=True)


class RoleFilmographySerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="active titles in this role")
    rated_count = serializers.IntegerField(help_text="of which rated on StreamRec")
    average_rating = serializers.FloatField(allow_null=True, help_text="mean of the titles' average ratings")
    average_tmdb_vote = serializers.FloatField(allow_null=True)
    titles = FilmographyTitleSerializer(many=True)


class FilmographySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    tmdb_id = serializers.IntegerField(allow_null=True)
    director = RoleFilmographySerializer(required=False)
    actor = RoleFilmographySerializer(required=False)


class ReleaseQuerySerializer(serializers.Serializer):
    by = serializers.ChoiceField(
        choices=[("release", "release date (TMDB)"), ("added", "date a platform added the title")], default="release",
        required=False,
    )
    year = serializers.IntegerField(required=False, min_value=1870, max_value=2100)
    platform = SafeCharField(help_text="platform slug")


class MonthCountSerializer(serializers.Serializer):
    month = serializers.IntegerField(min_value=1, max_value=12)
    name = serializers.CharField()
    count = serializers.IntegerField()


class WeekdayCountSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=1, max_value=7, help_text="ISO weekday: 1 is Monday")
    name = serializers.CharField()
    count = serializers.IntegerField()


# --- Views ------------------------------------------------------------------------------------------------

ID_PATH = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


@extend_schema_view(
    list=extend_schema(
        summary="Search and filter active titles",
        parameters=[TitleQuerySerializer],
        responses={200: TitleSerializer(many=True), **INVALID, 404: NOT_FOUND[404], **UNAUTHENTICATED},
    ),
    retrieve=extend_schema(
        summary="One title with people, platforms and rating stats",
        parameters=[ID_PATH],
        responses={200: TitleDetailSerializer, **NOT_FOUND, **THROTTLED},
    ),
)
class TitleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Active titles; ``search``, ``genre``, ``kind``, ``platform``, a year range and a minimum average
    filter the list, ``services=mine`` keeps it to the signed-in user's services; ``ordering`` sorts it
    (``popular`` by default)."""

    serializer_class = TitleSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = Pagination
    queryset = Title.objects.none()

    def get_queryset(self):
        query = TitleQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        browse = query.browse()
        filters = services_filters(self.request, query.validated_data["services"], browse.filters)
        return listing(dataclasses.replace(browse, filters=filters))

    def retrieve(self, request, pk=None):
        title = title_detail(object_id(pk))
        if title is None:
            raise NotFound("No active title with this id.")
        return Response(TitleDetailSerializer(title, context={"my_platforms": services_of(request.user).slugs}).data)

    def _title(self, pk) -> Title:
        title = Title.objects.filter(pk=object_id(pk), is_active=True).first()
        if title is None:
            raise NotFound("No active title with this id.")
        return title

    @extend_schema(
        summary="Titles like this one",
        parameters=[ID_PATH, SimilarQuerySerializer],
        responses={200: TitleSummarySerializer(many=True), **INVALID, **NOT_FOUND, **UNAUTHENTICATED},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def similar(self, request, pk=None):
        title = self._title(pk)
        query = SimilarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        platforms = services_filters(request, query.validated_data["services"], TitleFilters()).platforms
        similar = personalization().similar_titles(title, n=query.validated_data["n"], platforms=platforms)
        return Response(TitleSummarySerializer(similar, many=True).data)

    @extend_schema(
        summary="A title's score and vote count",
        parameters=[ID_PATH],
        responses={200: TitleScoreSerializer, **NOT_FOUND, **THROTTLED},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def score(self, request, pk=None):
        title = self._title(pk)
        return Response(TitleScoreSerializer({"title": title, **title_score(title)}).data)


@extend_schema_view(
    list=extend_schema(summary="Genres with their number of active titles", responses={200: GenreSerializer(many=True), **THROTTLED}),
)
class GenreViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = GenreSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = None

    def get_queryset(self):
        return genres_with_counts()


@extend_schema_view(
    list=extend_schema(summary="Streaming platforms with their number of active titles", responses={200: PlatformSerializer(many=True), **THROTTLED}),
)
class PlatformViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = PlatformSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = None

    def get_queryset(self):
        return platforms_with_counts()


@extend_schema_view(
    list=extend_schema(
        summary="People credited on titles, most credited first",
        parameters=[PersonQuerySerializer],
        responses={200: PersonSerializer(many=True), **INVALID, 404: NOT_FOUND[404], **THROTTLED},
    ),
    retrieve=extend_schema(
        summary="A person's filmography as director and as actor, with counts and averages",
        parameters=[ID_PATH, PersonQuerySerializer],
        responses={200: FilmographySerializer, **INVALID, **NOT_FOUND, **THROTTLED},
    ),
)
class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PersonSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = Pagination
    queryset = Person.objects.none()

    def get_queryset(self):
        query = PersonQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return people(search=query.validated_data["search"], role=query.validated_data["role"])

    def retrieve(self, request, pk=None):
        person = Person.objects.filter(pk=object_id(pk)).first()
        if person is None:
            raise NotFound("No person with this id.")
        query = PersonQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        roles = person_filmography(person, role=query.validated_data["role"])
        return Response(FilmographySerializer({"id": person.pk, "name": person.name, "tmdb_id": person.tmdb_id, **roles}).data)


class ReleasesPerMonthView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Titles released (or added to platforms) per month of the year",
        parameters=[ReleaseQuerySerializer],
        responses={200: MonthCountSerializer(many=True), **INVALID, **THROTTLED},
    )
    def get(self, request):
        query = ReleaseQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(MonthCountSerializer(releases_per_month(**query.validated_data), many=True).data)


class ReleasesPerWeekdayView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Titles released (or added to platforms) per weekday",
        parameters=[ReleaseQuerySerializer],
        responses={200: WeekdayCountSerializer(many=True), **INVALID, **THROTTLED},
    )
    def get(self, request):
        query = ReleaseQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(WeekdayCountSerializer(releases_per_weekday(**query.validated_data), many=True).data)

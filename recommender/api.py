import json

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api_services import services_field, services_filters
from catalog.models import Title
from catalog.selectors import TitleFilters
from streamrec.api_errors import INVALID, UNAUTHENTICATED
from streamrec.api_fields import SafeCharField, TitleSummarySerializer

from .answers import answer_json
from .pipeline import RecommendationRequest

MAX_RECOMMENDATIONS = 100


class RecommendationQuerySerializer(serializers.Serializer):
    n = serializers.IntegerField(min_value=1, max_value=MAX_RECOMMENDATIONS, default=10)
    genre = SafeCharField(help_text="genre name, e.g. Comedy")
    kind = serializers.ChoiceField(choices=Title.Kind.choices, required=False, default="", allow_blank=True)
    platform = SafeCharField(help_text="platform slug, e.g. netflix")
    novelty = serializers.FloatField(min_value=0.0, max_value=1.0, required=False, default=None, allow_null=True,
                                     help_text="popular (0) <-> lesser-known (1) for this request; default: the user's own dial")
    services = services_field()


def _validated_query(params) -> dict:
    query = RecommendationQuerySerializer(data=params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


DEFAULT_QUERY = _validated_query({})


def recommendation_query(params) -> dict:
    """``params`` validated by ``RecommendationQuerySerializer`` (400 when invalid). Without
    parameters, as most app screens call it, the defaults are used without building the serializer,
    which cost as much as scoring the user's titles."""
    return _validated_query(params) if params else dict(DEFAULT_QUERY)


class BecauseSerializer(serializers.Serializer):
    title = TitleSummarySerializer()
    score = serializers.FloatField(help_text="the user's own rating of that title (for a title they watched, the stars watching it reads as)")
    watched = serializers.BooleanField(help_text="known from the user's watch history, not rated")


class RecommendationSerializer(serializers.Serializer):
    """The schema of one recommendation; ``answers.recommendation_data`` writes it."""

    title = TitleSummarySerializer()
    predicted_rating = serializers.FloatField()
    personalized = serializers.BooleanField(help_text="false: popular titles, until the user has rated enough")
    explanation = serializers.CharField(help_text="why this title is recommended, in one sentence")
    because = BecauseSerializer(allow_null=True, help_text="the user's liked title that added most to this one's score; null when none stands out (then explanation names a genre the title shares with titles the user liked, or says it was predicted from their ratings)")


class MyRecommendationsView(APIView):
    """The signed-in user's top ``n`` titles in the model's ranking order, each with its predicted
    rating (popular titles until they rate enough)."""

    @extend_schema(
        summary="My recommendations, best first",
        parameters=[RecommendationQuerySerializer],
        responses={200: RecommendationSerializer(many=True), **INVALID, **UNAUTHENTICATED},
    )
    def get(self, request):
        data = recommendation_query(request.query_params)
        filters = services_filters(request, data["services"], TitleFilters(genre=data["genre"], kind=data["kind"], platform=data["platform"]))
        # Rounded to the dial's hundredths: every distinct value is its own cache entry.
        novelty = round(data["novelty"], 2) if data["novelty"] is not None else None
        pipeline_request = RecommendationRequest(user_id=request.user.pk, n=data["n"], filters=filters, novelty=novelty)
        if type(request.accepted_renderer) is JSONRenderer and request.accepted_media_type == JSONRenderer.media_type:
            # Plain JSON, as apps ask for it: the rendered answer is kept in the cache.
            return HttpResponse(answer_json(pipeline_request), content_type=JSONRenderer.media_type)
        return Response(json.loads(answer_json(pipeline_request)))

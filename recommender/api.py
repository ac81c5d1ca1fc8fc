import time

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api import SafeCharField, TitleSummarySerializer
from catalog.models import Title
from catalog.selectors import TitleFilters
from catalog.summaries import CATALOG_REVISION
from streamrec import revisions
from streamrec.api_errors import INVALID, UNAUTHENTICATED

from .selectors import (
    KeptAnswer,
    Recommendation,
    answer_key,
    kept_answer,
    model_for,
    personal_inputs,
    recommend_for_user,
    recommend_from_inputs,
)
from .services import keep_answer

MAX_RECOMMENDATIONS = 100


class RecommendationQuerySerializer(serializers.Serializer):
    n = serializers.IntegerField(min_value=1, max_value=MAX_RECOMMENDATIONS, default=10)
    genre = SafeCharField(help_text="genre name, e.g. Comedy")
    kind = serializers.ChoiceField(choices=Title.Kind.choices, required=False, default="", allow_blank=True)
    platform = SafeCharField(help_text="platform slug, e.g. netflix")


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
    score = serializers.FloatField(help_text="the user's own rating of that title")


class RecommendationSerializer(serializers.Serializer):
    """The schema of one recommendation; ``recommendation_data`` writes it."""

    title = TitleSummarySerializer()
    predicted_rating = serializers.FloatField()
    personalized = serializers.BooleanField(help_text="false: popular titles, until the user has rated enough")
    explanation = serializers.CharField(help_text="why this title is recommended, in one sentence")
    because = BecauseSerializer(allow_null=True, help_text="the user's liked title this one most resembles")


def title_summary_data(title: Title) -> dict:
    """``TitleSummarySerializer``'s output."""
    return {"id": title.pk, "name": title.name, "year": title.year, "genres": title.genre_names}


def recommendation_data(item: Recommendation) -> dict:
    """``RecommendationSerializer``'s output, built directly: the endpoint is called on every app
    screen and the nested serializers cost as much as choosing the titles (tests/test_recommendation_queries.py
    checks the two agree)."""
    because = item.because
    return {
        "title": title_summary_data(item.title),
        "predicted_rating": item.predicted_rating,
        "personalized": item.personalized,
        "explanation": item.explanation,
        "because": {"title": title_summary_data(because.title), "score": because.score} if because is not None else None,
    }


def default_answer(user) -> bytes:
    """The JSON body of ``user``'s recommendations with no parameters, as app screens ask for them:
    the kept answer when it is current (``selectors.kept_answer``: made from exactly what the
    database holds now), else made now and kept for the next request, in whichever process."""
    inputs = personal_inputs(user)
    model = model_for(inputs.rating_count)
    kept = kept_answer(model, inputs) if model is not None else None
    if kept is not None:
        return kept
    # Stamped with the catalog revision read before any title is: a change after it makes the
    # answer stale.
    revisions.check()
    catalog_revision, made_at = revisions.seen(CATALOG_REVISION), time.time()
    recommendations = recommend_from_inputs(model, user, inputs)
    body = JSONRenderer().render([recommendation_data(item) for item in recommendations])
    if model is not None and recommendations and recommendations[0].personalized:
        shown = {item.title.pk for item in recommendations} | {item.because.title.pk for item in recommendations if item.because}
        keep_answer(user, KeptAnswer(answer_key(model.version_id, inputs), catalog_revision, made_at, tuple(sorted(shown)), body).pack())
    return body


class MyRecommendationsView(APIView):
    """The signed-in user's top ``n`` titles in the model's ranking order, each with its predicted
    rating (popular titles until they rate enough)."""

    @extend_schema(
        summary="My recommendations, best first",
        parameters=[RecommendationQuerySerializer],
        responses={200: RecommendationSerializer(many=True), **INVALID, **UNAUTHENTICATED},
    )
    def get(self, request):
        if not request.query_params and request.accepted_media_type == JSONRenderer.media_type:
            # The answer most app screens ask for, as JSONRenderer renders it: kept as rendered.
            return HttpResponse(default_answer(request.user), content_type=JSONRenderer.media_type)
        data = recommendation_query(request.query_params)
        filters = TitleFilters(genre=data["genre"], kind=data["kind"], platform=data["platform"])
        recommendations = recommend_for_user(request.user, n=data["n"], filters=filters)
        return Response([recommendation_data(item) for item in recommendations])

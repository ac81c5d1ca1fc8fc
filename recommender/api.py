from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api import TitleSummarySerializer
from catalog.models import Title
from catalog.selectors import TitleFilters

from .selectors import recommend_for_user

MAX_RECOMMENDATIONS = 100


class RecommendationQuerySerializer(serializers.Serializer):
    n = serializers.IntegerField(min_value=1, max_value=MAX_RECOMMENDATIONS, default=10)
    genre = serializers.CharField(required=False, default="", allow_blank=True)
    kind = serializers.ChoiceField(choices=Title.Kind.choices, required=False, default="", allow_blank=True)


class RecommendationSerializer(serializers.Serializer):
    title = TitleSummarySerializer()
    predicted_rating = serializers.FloatField()
    personalized = serializers.BooleanField()


class MyRecommendationsView(APIView):
    """The signed-in user's top ``n`` titles by predicted rating (popular titles until they rate enough)."""

    def get(self, request):
        query = RecommendationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = TitleFilters(genre=query.validated_data["genre"], kind=query.validated_data["kind"])
        recommendations = recommend_for_user(request.user, n=query.validated_data["n"], filters=filters)
        return Response(RecommendationSerializer(recommendations, many=True).data)

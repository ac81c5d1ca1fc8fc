"""The API's recommendation answers as JSON: built directly rather than through serializers (the
endpoint is called on every app screen, and the nested serializers cost as much as choosing the
titles; ``api.RecommendationSerializer`` documents the schema and tests/test_recommendation_queries.py
checks the two agree), and kept rendered in the shared cache beside the list they show."""
from rest_framework.renderers import JSONRenderer

from catalog.models import Title

from .pipeline import SERVING, Recommendation, RecommendationRequest, cached, kept_for


def title_summary_data(title: Title) -> dict:
    """``TitleSummarySerializer``'s output."""
    return {"id": title.pk, "name": title.name, "year": title.year, "genres": title.genre_names}


def recommendation_data(item: Recommendation) -> dict:
    """``api.RecommendationSerializer``'s output."""
    because = item.because
    return {
        "title": title_summary_data(item.title),
        "predicted_rating": item.predicted_rating,
        "personalized": item.personalized,
        "explanation": item.explanation,
        "because": ({"title": title_summary_data(because.title), "score": because.score, "watched": because.watched}
                    if because is not None else None),
    }


def answer_json(request: RecommendationRequest) -> bytes:
    """``recommend(request)`` rendered as ``JSONRenderer`` renders it, kept in the cache under the
    same parts as the list (``pipeline.answer_key``). A miss runs the pipeline itself rather than
    through ``recommend``: the list's own key would miss too (the same revisions moved)."""

    def make(model):
        recommendations = SERVING(request, model)
        return JSONRenderer().render([recommendation_data(item) for item in recommendations]), kept_for(recommendations)

    return cached("api", request, make)

"""The API's recommendation answers as JSON: built directly rather than through serializers (the
endpoint is called on every app screen, and the nested serializers cost as much as choosing the
titles; ``api.RecommendationSerializer`` documents the schema and tests/test_recommendation_queries.py
checks the two agree), and the default answer kept as rendered (``KeptRanking.answer``)."""
import time

from rest_framework.renderers import JSONRenderer

from catalog.models import Title
from catalog.summaries import CATALOG_REVISION
from streamrec import revisions

from .selectors import (
    KeptAnswer,
    Recommendation,
    answer_key,
    kept_answer,
    model_for,
    personal_inputs,
    recommend_from_inputs,
)
from .services import keep_answer


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
        "because": {"title": title_summary_data(because.title), "score": because.score} if because is not None else None,
    }


def default_answer(user) -> bytes:
    """The JSON body of ``user``'s recommendations with no parameters, as app screens ask for them:
    the kept answer when it is current (``selectors.kept_answer``: made from exactly what the
    database holds now), else made now and kept for the next request, in whichever process (a
    worker makes it ahead once the user's ratings change: ``tasks.prepare_answer``)."""
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
        # The recommended titles only: the liked titles explaining them are shown whether or not
        # they are still active, as in a list made now.
        recommended = tuple(sorted(item.title.pk for item in recommendations))
        keep_answer(user, KeptAnswer(answer_key(model.version_id, inputs), catalog_revision, made_at, recommended, body).pack())
    return body

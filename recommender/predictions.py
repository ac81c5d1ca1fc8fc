"""Predicted stars and "more like this" outside recommendation lists: cards of other rows, the
browse order "predicted for me", the title page. The catalog's pages and API use it through
``catalog.personalization`` (setting ``CATALOG_PERSONALIZATION``), whose interface it implements."""
from django.db.models import QuerySet

from catalog.models import Title
from catalog.personalization import TitleOutlook
from catalog.selectors import TitleFilters, popular_sharing_a_genre, title_ids_matching
from catalog.summaries import title_summaries
from ratings.selectors import user_scores

from . import serving
from .pipeline import MIN_RATINGS_FOR_PERSONAL, SERVING, Because, History, ScoredTitle


def model_for(rating_count: int):
    """The serving model when a user with this many ratings gets personal predictions, else None."""
    return serving.current_model() if rating_count >= MIN_RATINGS_FOR_PERSONAL else None


def personal_model(user) -> tuple:
    """``user``'s current ratings, and the serving model if it can predict for them (else None)."""
    scores = user_scores(user) if user.is_authenticated else {}
    return model_for(len(scores)), scores


def predictions(model, scores: dict[int, float], title_ids) -> dict[int, float]:
    """The ``model``'s predicted rating of each of ``title_ids`` it knows for a user with these
    ``scores``; empty without a model."""
    if model is None:
        return {}
    predicted = model.predict_all(scores)
    if predicted is None:
        return {}
    rows = model.row_of_title
    return {int(t): round(float(predicted[rows[t]]), 1) for t in title_ids if t in rows}


def predicted_for(user, title_ids) -> dict[int, float]:
    """The serving model's predicted rating of each of ``title_ids`` for ``user``; empty when there
    is nothing personal to say."""
    return predictions(*personal_model(user), title_ids)


def ranked_for_user(user, queryset: QuerySet[Title]) -> list[tuple[int, float]]:
    """The titles of ``queryset`` the user has not rated, best predicted first, as (title id,
    predicted). Empty when the model cannot predict for the user."""
    model, scores = personal_model(user)
    predicted = model.predict_all(scores) if model is not None else None
    if predicted is None:
        return []
    rows = model.row_of_title
    ids = queryset.order_by().values_list("pk", flat=True)
    # Sorted by the stars shown (the user asked for that order), not by the top-N ranking score;
    # ties (clipped at 5.0) by id, so pages do not shuffle between requests.
    ranked = [(t, float(predicted[rows[t]])) for t in ids if t in rows and t not in scores]
    ranked.sort(key=lambda pair: (-pair[1], pair[0]))
    return [(t, round(s, 1)) for t, s in ranked]


def similar_titles(title: Title, n: int = 10, platforms: tuple[str, ...] = ()) -> list[Title]:
    """Titles like ``title``: nearest by item factors, or popular titles sharing a genre when the
    model does not know it; on any of ``platforms`` when given (a person's services: the nearest are
    chosen among the titles on them, so the list is as long as it would be unfiltered)."""
    model = serving.current_model()
    allowed = title_ids_matching(TitleFilters(platforms=platforms)) if platforms else None
    neighbours = model.similar(title.pk, n + 10, allowed_title_ids=allowed) if model is not None else []
    if neighbours:
        found = title_summaries([title_id for title_id, _ in neighbours])
        return [found[title_id] for title_id, _ in neighbours if title_id in found][:n]
    return popular_sharing_a_genre(title, n, platforms)


def title_outlook(user, title: Title, rated: bool, similar_ids: list[int]) -> TitleOutlook:
    """``TitleOutlook`` of ``title`` for ``user``, from one read of their ratings."""
    model, scores = personal_model(user)
    similar_rated = {t: scores[t] for t in similar_ids if t in scores}
    similar_predicted = predictions(model, scores, [t for t in similar_ids if t not in scores])
    if rated or model is None:
        return TitleOutlook(None, None, similar_predicted, similar_rated)
    predicted = model.predict_one(scores, title.pk)
    return TitleOutlook(None if predicted is None else round(predicted, 2), explanation(model, title.pk, scores),
                        similar_predicted, similar_rated)


def explanation(model, title_id: int, scores: dict[int, float]) -> Because | None:
    """The liked title of the user's that added most to ``title_id``'s score in ``model``, as the
    lists explain their picks (``pipeline.explanation.Explainer``); None when none stands out."""
    because = SERVING.explainer.because_ids(model=model, history=History(scores), ranked=[ScoredTitle(title_id, 0.0, True)])
    if title_id not in because:
        return None
    liked_id = because[title_id]
    liked = Title.objects.only("pk", "name").filter(pk=liked_id).first()
    return Because(liked, scores[liked_id]) if liked is not None else None

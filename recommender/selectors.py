"""Reads of model versions, and recommendations served from the current one."""
from dataclasses import dataclass

from catalog.models import Title
from catalog.selectors import TitleFilters, popular_titles, title_ids_matching, titles_by_id
from ratings.selectors import dismissed_title_ids, user_scores

from .models import ModelVersion


def serving_version() -> ModelVersion | None:
    """The ready version activated most recently: the one every process serves."""
    return (
        ModelVersion.objects.filter(status=ModelVersion.Status.READY, activated_at__isnull=False)
        .order_by("-activated_at", "-pk")
        .first()
    )


def fallback_versions(serving: ModelVersion) -> list[ModelVersion]:
    """Older ready versions that served before ``serving``, newest first: rollback candidates."""
    return list(
        ModelVersion.objects.filter(status=ModelVersion.Status.READY, activated_at__lt=serving.activated_at)
        .order_by("-activated_at")[:5]
    )


MIN_RATINGS_FOR_PERSONAL = 3


@dataclass(frozen=True)
class Recommendation:
    title: Title
    predicted_rating: float
    personalized: bool


def recommend_for_user(user, n: int = 10, filters: TitleFilters = TitleFilters()) -> list[Recommendation]:
    """The user's top ``n`` titles by predicted rating, never one already rated or dismissed.

    Users with fewer than ``MIN_RATINGS_FOR_PERSONAL`` ratings, or when no model serves, get
    the most popular titles by damped average instead (``personalized`` is False).
    """
    from .serving import current_model

    scores = user_scores(user) if user.is_authenticated else {}
    dismissed = dismissed_title_ids(user) if user.is_authenticated else set()
    model = current_model() if len(scores) >= MIN_RATINGS_FOR_PERSONAL else None
    if model is not None:
        personal = personal_top_n(model, scores, dismissed, n, filters)
        if personal:
            return personal
    return [
        Recommendation(title=title, predicted_rating=round(score, 2), personalized=False)
        for title, score in popular_titles(n, exclude_ids=scores.keys() | dismissed, filters=filters)
    ]


def personal_top_n(model, scores: dict[int, float], dismissed: set[int], n: int, filters: TitleFilters) -> list[Recommendation]:
    has_filters = bool(filters.search or filters.genre or filters.kind)
    allowed = set(title_ids_matching(filters)) - dismissed if has_filters else None
    # Unfiltered, rank a few spare candidates: some may be dismissed or deactivated since training.
    spare = 0 if has_filters else 20 + len(dismissed)
    ranked = [(t, s) for t, s in model.top_n(scores, n + spare, allowed_title_ids=allowed) if t not in dismissed]
    titles = titles_by_id([title_id for title_id, _ in ranked])
    if len(titles) < min(n, len(ranked)):
        ranked = model.top_n(scores, n, allowed_title_ids=set(title_ids_matching(filters)) - dismissed)
        titles = titles_by_id([title_id for title_id, _ in ranked])
    picks = [
        Recommendation(title=titles[title_id], predicted_rating=round(score, 2), personalized=True)
        for title_id, score in ranked
        if title_id in titles
    ]
    return picks[:n]

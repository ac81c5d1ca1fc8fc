"""Stage 3: scoring. The serving model folds the user in from their history and scores the
candidates (``serving.LoadedModel.top_n``); users it cannot fold in yet get the best titles by
damped average (``PopularityScorer``)."""
from dataclasses import dataclass

from catalog.selectors import TitleFilters, popular_title_ids

from .candidates import Candidates
from .types import History, ScoredTitle


@dataclass(frozen=True)
class ScoringConfig:
    """Below ``min_ratings`` a fold-in over-fits a handful of ratings: the fallback scores instead."""

    min_ratings: int = 3


class ModelScorer:
    def __init__(self, config: ScoringConfig = ScoringConfig()):
        self.config = config

    def __call__(self, *, model, history: History, candidates: Candidates, n: int) -> list[ScoredTitle]:
        """The ``n`` best candidates in the model's ranking order with their predicted stars; empty
        when the model cannot speak for this user."""
        if model is None or history.rating_count < self.config.min_ratings or not len(candidates):
            return []
        ranked = model.ranked(history.ratings, n, allowed_title_ids=candidates.ids)
        return [ScoredTitle(title_id, round(stars, 2), True, order) for title_id, stars, order in ranked]


class PopularityScorer:
    """The same for everybody: damped (Bayesian) average rating, within the request's filters. A list
    kept to a person's services is never empty while titles are on them: when too few of those were
    ever rated, the unrated candidates follow, most recently imported first (with no stars: 0.0)."""

    def __call__(self, *, history: History, filters: TitleFilters, n: int, candidates: Candidates | None = None) -> list[ScoredTitle]:
        ranked = popular_title_ids(n, exclude_ids=history.seen_ids(), filters=filters)
        scored = [ScoredTitle(title_id, round(score, 2), False) for title_id, score in ranked]
        if filters.platforms and candidates is not None and len(scored) < n:
            taken = {item.title_id for item in scored}
            unrated = (int(title_id) for title_id in candidates.ids[::-1] if int(title_id) not in taken)
            scored += [ScoredTitle(title_id, 0.0, False) for title_id, _ in zip(unrated, range(n - len(scored)))]
        return scored

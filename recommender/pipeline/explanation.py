"""Stage 5: explanation. Each recommended title with the liked title of the user's that added most
to its score in the model that ranked it ("Because you rated X 4.5": ``recommender.contributions``),
and the titles read for display. When no liked title stands out, none is named: the card says what
is true instead (predicted from the user's ratings)."""
from dataclasses import dataclass

import numpy as np

from catalog.summaries import title_summaries

from ..contributions import contributions
from .types import Because, History, Recommendation, ScoredTitle


@dataclass(frozen=True)
class ExplanationConfig:
    """``titles``: read the titles for display (False: offline evaluation, which needs ids only)."""

    titles: bool = True
    # A liked title is named only when its share is at least this part of all the positive shares.
    clear_share: float = 0.15


class Explainer:
    def __init__(self, config: ExplanationConfig = ExplanationConfig()):
        self.config = config

    def because_ids(self, *, model, history: History, ranked: list[ScoredTitle]) -> dict[int, int]:
        """Recommended title id -> the liked title explaining it (personal picks only)."""
        personal = [item.title_id for item in ranked if item.personalized and item.title_id in getattr(model, "row_of_title", {})]
        liked = set(history.liked_ids())
        if model is None or not personal or not liked:
            return {}
        rated_ids, shares = contributions(model, history.ratings, personal)
        is_liked = np.isin(rated_ids, list(liked))
        because = {}
        for title_id, row in zip(personal, shares, strict=True):
            liked_shares = np.where(is_liked, row, -np.inf)
            best = int(np.argmax(liked_shares))
            positive = row[row > 0].sum()
            if liked_shares[best] > 0 and liked_shares[best] >= self.config.clear_share * positive:
                because[title_id] = int(rated_ids[best])
        return because

    def __call__(self, *, model, history: History, ranked: list[ScoredTitle]) -> list[Recommendation]:
        because = self.because_ids(model=model, history=history, ranked=ranked)
        # One read for the recommended titles and the liked ones explaining them; an explaining
        # title is named even if it was hidden from the catalog since.
        titles = title_summaries([item.title_id for item in ranked] + list(because.values()), active_only=False)
        recommendations = []
        for item in ranked:
            title = titles.get(item.title_id)
            if title is None or not title.is_active:
                continue
            liked = titles.get(because.get(item.title_id))
            reason = Because(liked, history.ratings[liked.pk], liked.pk in history.watched) if liked is not None else None
            recommendations.append(Recommendation(title, item.predicted, item.personalized, reason))
        return recommendations

"""Stage 5: explanation. Each recommended title with the liked title of the user's that it most
resembles in the model ("Because you rated X 4.5"), and the titles read for display."""
from dataclasses import dataclass

from catalog.summaries import title_summaries

from .types import Because, History, Recommendation, ScoredTitle


@dataclass(frozen=True)
class ExplanationConfig:
    """``titles``: read the titles for display (False: offline evaluation, which needs ids only)."""

    titles: bool = True


class Explainer:
    def __init__(self, config: ExplanationConfig = ExplanationConfig()):
        self.config = config

    def because_ids(self, *, model, history: History, ranked: list[ScoredTitle]) -> dict[int, int]:
        """Recommended title id -> the liked title explaining it (personal picks only)."""
        personal = [item.title_id for item in ranked if item.personalized]
        if model is None or not personal:
            return {}
        closest = model.closest_rated(personal, history.liked_ids())
        return {title_id: liked_id for title_id, (liked_id, _) in closest.items()}

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
            reason = Because(liked, history.ratings[liked.pk]) if liked is not None else None
            recommendations.append(Recommendation(title, item.predicted, item.personalized, reason))
        return recommendations

"""The recommendation pipeline, composed in one place: history lookup → candidate selection →
scoring → reranking → explanation. Pages, the API, tasks and offline evaluation all run it."""
from dataclasses import dataclass, field

from .candidates import CandidateConfig, CandidateSelector
from .explanation import Explainer, ExplanationConfig
from .history import HistoryLookup
from .reranking import CalibratedReranker, RerankConfig
from .scoring import ModelScorer, PopularityScorer
from .types import Recommendation, RecommendationRequest, ScoredTitle


@dataclass
class RecommendationPipeline:
    history: HistoryLookup = field(default_factory=HistoryLookup)
    candidates: CandidateSelector = field(default_factory=CandidateSelector)
    scorer: ModelScorer = field(default_factory=ModelScorer)
    # None offline: evaluated users always have enough ratings for the model.
    fallback: PopularityScorer | None = field(default_factory=PopularityScorer)
    reranker: CalibratedReranker = field(default_factory=CalibratedReranker)
    explainer: Explainer = field(default_factory=Explainer)

    def rank(self, request: RecommendationRequest, model) -> tuple[object, list[ScoredTitle]]:
        """Stages 1–4: the request's history and its ranked titles (ids and stars only)."""
        history = request.history if request.history is not None else self.history(user_id=request.user_id)
        candidates = self.candidates(history=history, filters=request.filters)
        pool = request.n * self.reranker.config.pool
        scored = self.scorer(model=model, history=history, candidates=candidates, n=pool)
        if not scored and self.fallback is not None:
            scored = self.fallback(history=history, filters=request.filters, n=pool, candidates=candidates)
        return history, self.reranker(scored=scored, history=history, n=request.n, model=model,
                                      novelty=request.novelty if request.novelty is not None else history.novelty)

    def __call__(self, request: RecommendationRequest, model) -> list[Recommendation]:
        history, ranked = self.rank(request, model)
        return self.explainer(model=model, history=history, ranked=ranked)


def serving_pipeline() -> RecommendationPipeline:
    """What the site serves: the active catalog, the serving model, popular titles for newcomers."""
    return RecommendationPipeline()


def offline_pipeline(catalog_ids, reranking: RerankConfig | None = None) -> RecommendationPipeline:
    """The same stages over a fixed catalog (a training fold's titles), without the database: what
    ``recommender.evaluation`` measures of a model that folds users in (``reranking``: another
    strength than the served one, for the trade-off curve)."""
    return RecommendationPipeline(
        candidates=CandidateSelector(CandidateConfig(catalog_ids=tuple(int(i) for i in catalog_ids))),
        fallback=None,
        reranker=CalibratedReranker(reranking or RerankConfig()),
        explainer=Explainer(ExplanationConfig(titles=False)),
    )

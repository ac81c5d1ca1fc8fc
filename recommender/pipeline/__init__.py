"""Recommendations as a pipeline of small components (``compose``), served through the shared
cache (``streamrec.cache``).

``recommend(request)`` is the one entry point of pages, the API and tasks. Its answer is kept
under a key made of everything it depends on: the model version that scored it, the user's
revision (their ratings, dismissals, watchlist and settings), the catalog revision and a digest of
the request's configuration (``RecommendationRequest.config``). A write moves a revision, so the
next request misses and recomputes; nothing is ever invalidated by deleting it.
"""
from streamrec.cache import (
    CATALOG,
    PERSONAL_SECONDS,
    POPULAR_SECONDS,
    digest,
    shared,
    stamps,
    user_key,
)

from .. import serving
from .compose import RecommendationPipeline, offline_pipeline, serving_pipeline
from .reranking import RerankConfig
from .types import Because, History, Recommendation, RecommendationRequest, ScoredTitle, Taste

# Part of every key: change it when what is kept changes shape, so no process reads an entry
# written by other code (during a deploy both share the cache).
ENTRY_FORMAT = 4

SERVING = serving_pipeline()
MIN_RATINGS_FOR_PERSONAL = SERVING.scorer.config.min_ratings


def answer_key(kind: str, request: RecommendationRequest, model=None) -> str:
    """The cache key of ``request``'s answer of ``kind`` (``recs``: the list; ``api``: its JSON),
    scored by ``model`` (by default the serving one)."""
    return _key_and_model(kind, request, model)[0]


def _key_and_model(kind: str, request: RecommendationRequest, model=None):
    revision_keys = [CATALOG] if request.user_id is None else [CATALOG, user_key(request.user_id)]
    version_entry, tokens = stamps(*revision_keys)  # one cache round trip
    if model is None:
        model = serving.current_model(version_entry)
    user_revision = tokens[revision_keys[1]] if request.user_id is not None else "anonymous"
    version = model.version_id if model is not None else "none"
    return f"{kind}:{ENTRY_FORMAT}:{version}:{user_revision}:{tokens[CATALOG]}:{digest(request.config())}", model


def kept_for(recommendations: list[Recommendation]) -> int:
    """How long an answer is kept: a popular list also changes with everybody's new ratings."""
    personal = any(item.personalized for item in recommendations)
    return PERSONAL_SECONDS if personal else POPULAR_SECONDS


def cached(kind: str, request: RecommendationRequest, make):
    """``make(model)``'s answer to ``request``, kept under ``answer_key``; ``make`` returns the
    answer and how long to keep it."""
    key, model = _key_and_model(kind, request)
    found = shared.get(key)
    if found is not None:
        return found
    answer, seconds = make(model)
    shared.set(key, answer, seconds)
    return answer


def recommend(request: RecommendationRequest) -> list[Recommendation]:
    """The user's top ``request.n`` titles in the ranking's order, never one already rated or
    hidden; popular titles until the model can fold them in."""
    if request.history is not None:
        return SERVING(request, serving.current_model())

    def make(model):
        recommendations = SERVING(request, model)
        return recommendations, kept_for(recommendations)

    return cached("recs", request, make)


__all__ = [
    "SERVING",
    "Because",
    "History",
    "MIN_RATINGS_FOR_PERSONAL",
    "Recommendation",
    "RecommendationPipeline",
    "RecommendationRequest",
    "RerankConfig",
    "ScoredTitle",
    "Taste",
    "cached",
    "kept_for",
    "offline_pipeline",
    "recommend",
    "serving_pipeline",
]

"""Offline evaluation: rating accuracy and top-N ranking of several models on the same folds.

Rating accuracy is RMSE and MAE over the test ratings. Ranking is measured per user over every item
of the train fold the user has not rated there: an item is relevant when its test rating is at least
``relevance_threshold``. Precision, recall and NDCG at ``top_n`` are averaged over users with at
least one relevant test item; coverage is the share of train-fold items that appear in any of their
top-N lists. Ranking scores whole users x items matrices a chunk of users at a time.

A model the site serves by fold-in (``folds_in = True``: the production model) is ranked through
the site's own recommendation pipeline (``recommender.pipeline.offline_pipeline``): each test user
is folded in from their train ratings and their list made by the same stages that serve them, so
what is measured is what is served. Other models rank through their own predict path: they have
``score_users(inner_uids) -> scores`` (users x all items), or are a surprise ``SVD`` /
``BaselineOnly`` whose factors give the scores; otherwise their ranking metrics are ``None``.
``ModelResult.ranking_path`` says which path a row used. A model with ``predicts_ratings = False``
(popularity) gets no rating metrics.
"""
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields

import numpy as np
from scipy.sparse import csr_matrix
from surprise import SVD, AlgoBase, BaselineOnly, Dataset, Trainset
from surprise.model_selection import KFold, train_test_split

from .beyond_accuracy import ItemFacts, list_measures
from .mf import trainset_arrays
from .pipeline import History, RecommendationRequest, RerankConfig, offline_pipeline
from .serving import LoadedModel
from .storage import FactorModel, item_rating_counts

Testset = list[tuple[object, object, float]]
Scorer = Callable[[np.ndarray], np.ndarray]

# Users scored per block; a block of scores is users x items float64 (~30 MB for 1000 x 3700).
USERS_PER_CHUNK = 1000


@dataclass(frozen=True)
class Fold:
    trainset: Trainset
    testset: Testset


@dataclass
class ModelResult:
    """One model's metrics, averaged over folds; ``None`` where the model cannot be measured."""

    name: str
    n_folds: int
    rmse: float | None
    mae: float | None
    precision: float | None
    recall: float | None
    ndcg: float | None
    coverage: float | None
    fit_seconds: float
    test_seconds: float
    top_n: int
    relevance_threshold: float
    ranking_path: str | None = None  # PIPELINE, OWN_PREDICT, or None when the model does not rank
    # Beyond-accuracy measures of the top-N lists (``recommender.beyond_accuracy.list_measures``),
    # averaged over folds; empty when the model does not rank.
    beyond: dict[str, float | None] = field(default_factory=dict)
    # Standard deviation over folds of each metric above (None where the metric is).
    std: dict[str, float | None] = field(default_factory=dict)
    # Every ranked user's NDCG, folds in order (the same users for every model: the paired test).
    per_user_ndcg: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "per_user_ndcg"}


@dataclass(frozen=True)
class RankingMetrics:
    """Per-user precision, recall and NDCG, and each user's list (item indices, best first; -1
    where the list is shorter)."""

    precision: np.ndarray
    recall: np.ndarray
    ndcg: np.ndarray
    lists: np.ndarray


def kfold(data: Dataset, n_splits: int = 5, seed: int = 0) -> list[Fold]:
    """``n_splits`` folds of shuffled ratings; materialised so every model sees the same ones."""
    return [Fold(trainset, testset) for trainset, testset in KFold(n_splits, random_state=seed).split(data)]


def holdout(data: Dataset, test_size: float = 0.2, seed: int = 0) -> list[Fold]:
    """A single random train/test split, as a one-fold list."""
    trainset, testset = train_test_split(data, test_size=test_size, random_state=seed)
    return [Fold(trainset, testset)]


def rating_errors(true_ratings: np.ndarray, estimates: np.ndarray) -> tuple[float, float]:
    """(RMSE, MAE) of ``estimates`` against ``true_ratings``."""
    errors = np.asarray(estimates, dtype=np.float64) - np.asarray(true_ratings, dtype=np.float64)
    return float(np.sqrt(np.mean(errors**2))), float(np.mean(np.abs(errors)))


def ranking_metrics(scores: np.ndarray, rated_in_train: np.ndarray, relevant: np.ndarray,
                    n_relevant: np.ndarray, top_n: int) -> RankingMetrics:
    """Rank each row's items by ``scores``, excluding ``rated_in_train``, and score the top ``top_n``.

    ``relevant`` marks relevant test items among the columns; ``n_relevant`` counts each user's
    relevant test items, including any the train fold does not know (they count against recall).
    """
    scores = np.where(rated_in_train, -np.inf, scores)
    top_n = min(top_n, scores.shape[1])
    if top_n < scores.shape[1]:
        top = np.argpartition(-scores, top_n - 1, axis=1)[:, :top_n]
    else:
        top = np.tile(np.arange(scores.shape[1]), (scores.shape[0], 1))
    rows = np.arange(scores.shape[0])[:, None]
    top = top[rows, np.argsort(-scores[rows, top], axis=1, kind="stable")]
    # An item the user already rated in train is never a recommendation, even when it fills a short list.
    recommended = np.isfinite(scores[rows, top])
    hits = relevant[rows, top] & recommended
    discounts = 1.0 / np.log2(np.arange(2, top_n + 2))
    ideal = np.cumsum(discounts)[np.minimum(n_relevant, top_n) - 1]
    return RankingMetrics(
        precision=hits.sum(axis=1) / top_n,
        recall=hits.sum(axis=1) / n_relevant,
        ndcg=(hits * discounts).sum(axis=1) / ideal,
        lists=np.where(recommended, top, -1),
    )


PIPELINE = "pipeline (fold-in)"
OWN_PREDICT = "own predict"


def ranking_path(algo: AlgoBase) -> str | None:
    if getattr(algo, "folds_in", False):
        return PIPELINE
    return OWN_PREDICT if scorer_for(algo) is not None else None


def pipeline_history_scorer(algo: AlgoBase, top_n: int, item_genres: Mapping[object, Sequence[str]] | None = None,
                            reranking: RerankConfig | None = None) -> Callable[[list[dict[int, float]]], np.ndarray]:
    """Scores from the site's pipeline for users given as ratings by inner item id: each is folded
    in and ranked ``top_n`` titles, which get descending scores (the rest -inf), so
    ``ranking_metrics`` reads the lists. With ``item_genres`` the lists are reranked as served (or
    with ``reranking``)."""
    trainset = algo.trainset
    factors = FactorModel.from_algorithm(algo, reg=float(getattr(algo, "reg_pu", 0.02)))
    if item_genres is not None:
        factors = factors.with_genres(item_genres)
    model = LoadedModel.from_factors(0, factors)
    pipeline = offline_pipeline(model.factors.title_ids, reranking)
    raw_item = [int(trainset.to_raw_iid(inner)) for inner in range(trainset.n_items)]
    inner_item = {raw: inner for inner, raw in enumerate(raw_item)}

    def score(histories: list[dict[int, float]], hidden: Sequence[Iterable[int]] | None = None) -> np.ndarray:
        """``hidden``: per history, items (inner ids) the user hid: never recommended."""
        scores = np.full((len(histories), trainset.n_items), -np.inf)
        for row, given in enumerate(histories):
            dismissed = frozenset(raw_item[item] for item in hidden[row]) if hidden is not None else frozenset()
            history = History({raw_item[item]: float(rating) for item, rating in given.items()}, dismissed)
            _, ranked = pipeline.rank(RecommendationRequest(history=history, n=top_n), model)
            for position, item in enumerate(ranked):
                scores[row, inner_item[item.title_id]] = top_n - position
        return scores

    return score


def pipeline_scorer(algo: AlgoBase, top_n: int, item_genres: Mapping[object, Sequence[str]] | None = None,
                    reranking: RerankConfig | None = None) -> Scorer:
    """``pipeline_history_scorer`` for training users, from their train ratings."""
    score_histories = pipeline_history_scorer(algo, top_n, item_genres, reranking)
    trainset = algo.trainset
    return lambda users: score_histories([dict(trainset.ur[user]) for user in users])


def pairs_matrix(pairs, shape: tuple[int, int], dtype=bool) -> csr_matrix:
    """A users x items matrix with 1 at each (row, column) of ``pairs``."""
    array = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return csr_matrix((np.ones(len(array), dtype=dtype), (array[:, 0], array[:, 1])), shape=shape)


def scorer_for(algo: AlgoBase) -> Scorer | None:
    """A function giving ``algo``'s scores for some users over all train items, if it can rank."""
    if hasattr(algo, "score_users"):
        return algo.score_users
    trainset = algo.trainset
    if isinstance(algo, SVD):
        return lambda users: trainset.global_mean + algo.bu[users, None] + algo.bi + algo.pu[users] @ algo.qi.T
    if isinstance(algo, BaselineOnly):
        return lambda users: np.broadcast_to(trainset.global_mean + algo.bu[users, None] + algo.bi,
                                             (len(users), trainset.n_items))
    return None


def _inner_ids(to_inner: Callable[[object], int]) -> Callable[[object], int | None]:
    """``to_inner`` that answers None for a raw id the trainset does not know."""
    def lookup(raw_id):
        try:
            return to_inner(raw_id)
        except ValueError:
            return None
    return lookup


def item_facts(trainset: Trainset, item_genres: Mapping[object, Sequence[str]] | None) -> ItemFacts:
    """The beyond-accuracy facts of a fold's items: training rating counts, and genres by raw id."""
    counts = item_rating_counts(trainset)
    genres = None
    if item_genres is not None:
        genres = [tuple(item_genres.get(trainset.to_raw_iid(i), ())) for i in range(trainset.n_items)]
    return ItemFacts.build(counts, trainset.n_users, genres)


class _RankingTask:
    """The train and relevant-test matrices of one fold, built once and shared by every model."""

    def __init__(self, fold: Fold, relevance_threshold: float, item_genres: Mapping[object, Sequence[str]] | None = None):
        trainset = fold.trainset
        users, items, _ = trainset_arrays(trainset)
        shape = (trainset.n_users, trainset.n_items)
        self.rated_in_train = csr_matrix((np.ones(len(users), dtype=bool), (users, items)), shape=shape)
        inner_user, inner_item = _inner_ids(trainset.to_inner_uid), _inner_ids(trainset.to_inner_iid)
        relevant_known, n_relevant = [], np.zeros(trainset.n_users, dtype=np.int64)
        for raw_user, raw_item, rating in fold.testset:
            user = inner_user(raw_user)
            if rating < relevance_threshold or user is None:
                continue
            n_relevant[user] += 1
            item = inner_item(raw_item)
            if item is not None:
                relevant_known.append((user, item))
        self.relevant = pairs_matrix(relevant_known, shape)
        self.n_relevant = n_relevant
        self.users = np.flatnonzero(n_relevant)
        self.facts = item_facts(trainset, item_genres)

    def run(self, scorer: Scorer, top_n: int) -> tuple[float, float, float, float, np.ndarray, dict]:
        """Mean precision, recall, NDCG over users, catalogue coverage of the top-N lists, each
        user's NDCG, and the lists' beyond-accuracy measures."""
        precision, recall, ndcg, lists = [], [], [], []
        for start in range(0, len(self.users), USERS_PER_CHUNK):
            chunk = self.users[start:start + USERS_PER_CHUNK]
            metrics = ranking_metrics(scorer(chunk), self.rated_in_train[chunk].toarray(),
                                      self.relevant[chunk].toarray(), self.n_relevant[chunk], top_n)
            precision.append(metrics.precision)
            recall.append(metrics.recall)
            ndcg.append(metrics.ndcg)
            lists.append(metrics.lists)
        lists = np.concatenate(lists)
        beyond = list_measures(lists, self.rated_in_train[self.users], self.relevant[self.users], self.facts)
        per_user = np.concatenate(ndcg)
        return (float(np.mean(np.concatenate(precision))), float(np.mean(np.concatenate(recall))),
                float(np.mean(per_user)), beyond["coverage"], per_user, beyond)


def mean_or_none(values: Sequence[float | None]) -> float | None:
    return None if any(value is None for value in values) else float(np.mean(values))


def _std(values: Sequence[float | None]) -> float | None:
    return None if any(value is None for value in values) else float(np.std(values))


def evaluate(algorithms: Mapping[str, AlgoBase], folds: Iterable[Fold], top_n: int = 10,
             relevance_threshold: float = 4.0, progress: Callable[[str], None] | None = None,
             item_genres: Mapping[object, Sequence[str]] | None = None,
             reranking: Mapping[str, RerankConfig] | None = None) -> list[ModelResult]:
    """Fit every algorithm on every fold (the same folds for all) and average its metrics.

    Fit and test times are wall-clock seconds per fold; ``progress`` receives one line per fit.
    ``item_genres`` (raw item id -> genre names) enables the genre-based beyond-accuracy measures
    and the reranking of pipeline models: as served, or as ``reranking[name]`` says.
    """
    per_model: dict[str, dict[str, list]] = {name: {} for name in algorithms}
    per_user: dict[str, list[np.ndarray]] = {name: [] for name in algorithms}
    per_beyond: dict[str, dict[str, list]] = {}
    paths: dict[str, str | None] = {}
    n_folds = 0
    for fold_number, fold in enumerate(folds, start=1):
        n_folds += 1
        ranking_task = _RankingTask(fold, relevance_threshold, item_genres)
        true_ratings = np.array([rating for _, _, rating in fold.testset])
        for name, algo in algorithms.items():
            if hasattr(algo, "protocol"):
                algo.protocol = "warm"  # a model tuned inside the fold tunes for this protocol
            started = time.perf_counter()
            algo.fit(fold.trainset)
            fit_seconds = time.perf_counter() - started
            started = time.perf_counter()
            rmse = mae = None
            if getattr(algo, "predicts_ratings", True):
                estimates = np.array([prediction.est for prediction in algo.test(fold.testset)])
                rmse, mae = rating_errors(true_ratings, estimates)
            path = ranking_path(algo)
            rerank = (reranking or {}).get(name)
            scorer = pipeline_scorer(algo, top_n, item_genres, rerank) if path == PIPELINE else scorer_for(algo)
            *ranking, users_ndcg, beyond = ranking_task.run(scorer, top_n) if scorer else (None,) * 6
            if users_ndcg is not None:
                per_user[name].append(users_ndcg)
                for key, value in beyond.items():
                    per_beyond.setdefault(name, {}).setdefault(key, []).append(value)
            paths[name] = path
            test_seconds = time.perf_counter() - started
            metrics = dict(zip(("rmse", "mae", "precision", "recall", "ndcg", "coverage"), (rmse, mae, *ranking)))
            metrics.update(fit_seconds=fit_seconds, test_seconds=test_seconds)
            for key, value in metrics.items():
                per_model[name].setdefault(key, []).append(value)
            if progress:
                progress(f"fold {fold_number} {name}: fit {fit_seconds:.1f}s, test {test_seconds:.1f}s"
                         + (f", RMSE {rmse:.4f}" if rmse is not None else ""))
    return [
        ModelResult(name=name, n_folds=n_folds, top_n=top_n, relevance_threshold=relevance_threshold,
                    ranking_path=paths.get(name), **{key: mean_or_none(values) for key, values in metrics.items()},
                    std={key: _std(values) for key, values in metrics.items()},
                    beyond={key: mean_or_none(values) for key, values in per_beyond.get(name, {}).items()},
                    per_user_ndcg=np.concatenate(per_user[name]) if per_user[name] else None)
        for name, metrics in per_model.items()
    ]

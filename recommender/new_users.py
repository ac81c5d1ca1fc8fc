"""The new-user protocol ("strong generalisation": Liang et al., WWW 2018; Steck, WWW 2019): how a
model serves people it never saw, as the site serves everybody who signs up after a training run.

20 % of the users are held out entirely (each of ``n_splits`` folds holds out another fifth). The
model is fitted on the other users' ratings only. Each held-out user then gives it ``K`` of their
ratings (K = 5, 10, 20, drawn at random once per user, the smaller K a prefix of the larger), through
the same fold-in path the site uses; every title except those K is ranked, and NDCG@10 and
recall@10 are scored against the user's other ratings of at least ``relevance_threshold``. A user
without such a rating outside their K is not scored at that K.

A model takes part when it can fold a user in: the production model through the site's pipeline
(``folds_in = True``), others through ``score_histories(histories) -> users x items`` (EASE, implicit
ALS, popularity). The rest (surprise ``SVD()``, BPR, the Bayesian sampler) are measured on the warm
protocol only (``recommender.evaluation``).
"""
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix
from surprise import AlgoBase, Dataset, Trainset

from .beyond_accuracy import ItemFacts, list_measures
from .evaluation import (
    PIPELINE,
    USERS_PER_CHUNK,
    item_facts,
    mean_or_none,
    pairs_matrix,
    pipeline_history_scorer,
    ranking_metrics,
)
from .pipeline import RerankConfig

KS = (5, 10, 20)
HELD_OUT_USERS = 0.2
# Given ratings of one held-out user, by inner item id of the fold's trainset.
Histories = list[dict[int, float]]
HistoryScorer = Callable[[Histories], np.ndarray]


@dataclass(frozen=True)
class HeldOutUser:
    """One held-out user's ratings (raw item id, rating), in the random order that picks the K given."""

    ratings: tuple[tuple[object, float], ...]


@dataclass(frozen=True)
class NewUserFold:
    trainset: Trainset
    users: tuple[HeldOutUser, ...]


@dataclass
class NewUserResult:
    """One model's new-user metrics: per K, the mean and standard deviation over folds, and every
    scored user's NDCG in a fixed order (the same for every model: the paired test reads them)."""

    name: str
    ranking_path: str
    ndcg: dict[int, float]
    ndcg_std: dict[int, float]
    recall: dict[int, float]
    recall_std: dict[int, float]
    users: dict[int, int]
    fit_seconds: float
    per_user_ndcg: dict[int, np.ndarray] = field(repr=False, default_factory=dict)
    # Per K, the lists' beyond-accuracy measures (``recommender.beyond_accuracy``), mean over folds.
    beyond: dict[int, dict[str, float | None]] = field(default_factory=dict)


def new_user_folds(data: Dataset, n_splits: int = 5, seed: int = 0) -> list[NewUserFold]:
    """``n_splits`` folds, each holding out another ``1 / n_splits`` of the users (one fold holding
    out ``HELD_OUT_USERS`` when ``n_splits`` is 1)."""
    rng = np.random.default_rng(seed)
    by_user: dict[object, list[tuple[object, float]]] = {}
    for raw_user, raw_item, rating, _ in data.raw_ratings:
        by_user.setdefault(raw_user, []).append((raw_item, float(rating)))
    users = list(by_user)
    order = rng.permutation(len(users))
    if n_splits > 1:
        groups = np.array_split(order, n_splits)
    else:
        groups = [order[: max(1, round(HELD_OUT_USERS * len(users)))]]
    folds = []
    for group in groups:
        held_out = {users[index] for index in group}
        train = [rating for rating in data.raw_ratings if rating[0] not in held_out]
        held = []
        for index in group:
            ratings = by_user[users[index]]
            held.append(HeldOutUser(tuple(ratings[position] for position in rng.permutation(len(ratings)))))
        folds.append(NewUserFold(data.construct_trainset(train), tuple(held)))
    return folds


def can_fold_in(algo: AlgoBase) -> bool:
    return getattr(algo, "folds_in", False) or hasattr(algo, "score_histories")


def history_scorer(algo: AlgoBase, top_n: int, item_genres: Mapping[object, Sequence[str]] | None = None,
                   reranking: RerankConfig | None = None) -> HistoryScorer:
    """How the fitted ``algo`` scores new users from their given ratings (``can_fold_in``)."""
    if getattr(algo, "folds_in", False):
        return pipeline_history_scorer(algo, top_n, item_genres, reranking)
    return algo.score_histories


@dataclass(frozen=True)
class _Task:
    """One fold at one K: the given histories and the relevant test titles of the scored users."""

    histories: Histories
    given: csr_matrix
    relevant: csr_matrix
    n_relevant: np.ndarray


def given_tasks(fold: NewUserFold, ks: Sequence[int], relevance_threshold: float) -> dict[int, _Task]:
    """Per K, what the held-out users of ``fold`` give the model and what counts as relevant."""
    trainset = fold.trainset

    def inner(raw_item):
        try:
            return trainset.to_inner_iid(raw_item)
        except ValueError:
            return None

    tasks = {}
    for k in ks:
        histories, relevant_pairs, n_relevant = [], [], []
        for user in fold.users:
            given, rest = user.ratings[:k], user.ratings[k:]
            relevant = [raw_item for raw_item, rating in rest if rating >= relevance_threshold]
            if len(given) < k or not relevant:
                continue
            row = len(histories)
            histories.append({item: rating for item, rating in ((inner(raw), r) for raw, r in given) if item is not None})
            n_relevant.append(len(relevant))  # titles the fold does not know count against recall
            relevant_pairs += [(row, item) for item in map(inner, relevant) if item is not None]
        shape = (len(histories), trainset.n_items)
        given_pairs = [(row, item) for row, history in enumerate(histories) for item in history]
        tasks[k] = _Task(histories, pairs_matrix(given_pairs, shape), pairs_matrix(relevant_pairs, shape), np.array(n_relevant, dtype=np.int64))
    return tasks


def score_task(scorer: HistoryScorer, task: _Task, top_n: int,
               facts: ItemFacts | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """Per-user NDCG and recall of ``scorer`` on ``task``, never recommending a given title, and
    the lists' beyond-accuracy measures (empty without ``facts``)."""
    ndcg, recall, lists = [], [], []
    for start in range(0, len(task.histories), USERS_PER_CHUNK):
        stop = start + USERS_PER_CHUNK
        metrics = ranking_metrics(scorer(task.histories[start:stop]), task.given[start:stop].toarray(),
                                  task.relevant[start:stop].toarray(), task.n_relevant[start:stop], top_n)
        ndcg.append(metrics.ndcg)
        recall.append(metrics.recall)
        lists.append(metrics.lists)
    beyond = list_measures(np.concatenate(lists), task.given, task.relevant, facts) if facts is not None else {}
    return np.concatenate(ndcg), np.concatenate(recall), beyond


def evaluate_new_users(algorithms: Mapping[str, AlgoBase], folds: Iterable[NewUserFold], ks: Sequence[int] = KS,
                       top_n: int = 10, relevance_threshold: float = 4.0,
                       progress: Callable[[str], None] | None = None,
                       item_genres: Mapping[object, Sequence[str]] | None = None,
                       reranking: Mapping[str, RerankConfig] | None = None) -> list[NewUserResult]:
    """Fit every model that can fold users in on each fold's training users, and score the held-out
    users at each K. Models that cannot are left out of the result. ``item_genres`` (raw item id ->
    genres) enables the genre-based beyond-accuracy measures and the reranking of pipeline models
    (as served, or as ``reranking[name]`` says)."""
    per_model: dict[str, dict] = {}
    for fold_number, fold in enumerate(folds, start=1):
        tasks = given_tasks(fold, ks, relevance_threshold)
        facts = item_facts(fold.trainset, item_genres)
        for name, algo in algorithms.items():
            if not can_fold_in(algo):
                continue
            if hasattr(algo, "protocol"):
                algo.protocol = "new-user"  # a model tuned inside the fold tunes for this protocol
            started = time.perf_counter()
            algo.fit(fold.trainset)
            fit_seconds = time.perf_counter() - started
            scorer = history_scorer(algo, top_n, item_genres, (reranking or {}).get(name))
            record = per_model.setdefault(name, {"fit": [], "ndcg": {}, "recall": {}, "beyond": {}, "path": _path(algo)})
            record["fit"].append(fit_seconds)
            for k, task in tasks.items():
                if not task.histories:
                    continue  # no held-out user has a relevant title beyond K ratings (a tiny dataset)
                ndcg, recall, beyond = score_task(scorer, task, top_n, facts)
                record["ndcg"].setdefault(k, []).append(ndcg)
                record["recall"].setdefault(k, []).append(recall)
                record["beyond"].setdefault(k, []).append(beyond)
            if progress:
                progress(f"new users, fold {fold_number} {name}: fit {fit_seconds:.1f}s, "
                         + ", ".join(f"NDCG@{top_n} K={k} {record['ndcg'][k][-1].mean():.4f}" for k in tasks if k in record["ndcg"]))
    return [_result(name, record) for name, record in per_model.items()]


def _path(algo: AlgoBase) -> str:
    return PIPELINE if getattr(algo, "folds_in", False) else "own fold-in"


def _result(name: str, record: dict) -> NewUserResult:
    def mean_std(per_fold: list[np.ndarray]) -> tuple[float, float]:
        means = [float(values.mean()) for values in per_fold]
        return float(np.mean(means)), float(np.std(means))

    ndcg = {k: mean_std(v) for k, v in record["ndcg"].items()}
    recall = {k: mean_std(v) for k, v in record["recall"].items()}
    return NewUserResult(
        name=name, ranking_path=record["path"],
        ndcg={k: m for k, (m, _) in ndcg.items()}, ndcg_std={k: s for k, (_, s) in ndcg.items()},
        recall={k: m for k, (m, _) in recall.items()}, recall_std={k: s for k, (_, s) in recall.items()},
        users={k: sum(len(v) for v in per_fold) for k, per_fold in record["ndcg"].items()},
        fit_seconds=float(np.mean(record["fit"])),
        per_user_ndcg={k: np.concatenate(v) for k, v in record["ndcg"].items()},
        beyond={k: {key: mean_or_none([fold[key] for fold in per_fold]) for key in per_fold[0]}
                for k, per_fold in record["beyond"].items()},
    )

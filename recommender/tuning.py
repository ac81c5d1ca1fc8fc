"""Hyperparameter search: every candidate of a grid evaluated by cross-validation on the same folds."""
import itertools
from collections.abc import Callable
from dataclasses import dataclass

from surprise import Dataset

from . import algorithms, evaluation

# What a search ranks candidates by: cross-validated RMSE (lower first) or NDCG@10 of the top-N
# lists (higher first; through the site's pipeline for the production model).
METRICS = ("rmse", "ndcg")
# Searched when no grid is given: around each algorithm's tuned defaults, the parameters that move
# the metric searched (the rating model's for RMSE, the list order's for NDCG).
DEFAULT_GRIDS: dict[str, dict[str, dict[str, list]]] = {
    "rmse": {
        "biased_mf": {"n_factors": [32, 64, 128], "n_epochs": [20, 30], "lr_factor": [0.02, 0.03], "reg_factor": [0.05, 0.07, 0.1]},
        "surprise_svd": {"n_factors": [50, 100, 200], "n_epochs": [20, 40], "lr_all": [0.005, 0.01], "reg_all": [0.02, 0.06]},
        "bayesian_fm": {"rank": [16, 32, 64]},
    },
    "ndcg": {
        "biased_mf": {"neighbour_reg": [50.0, 100.0, 200.0], "neighbour_weight": [0.25, 0.5, 1.0], "ranking_weight": [0.1, 0.15]},
    },
}


@dataclass(frozen=True)
class Candidate:
    params: dict
    result: evaluation.ModelResult


@dataclass(frozen=True)
class TuningResult:
    algorithm: str
    n_folds: int
    candidates: list[Candidate]  # best first (by ``metric``)
    metric: str = "rmse"

    @property
    def best(self) -> Candidate:
        return self.candidates[0]

    def to_dict(self) -> dict:
        return {
            "algorithm": self.algorithm,
            "n_folds": self.n_folds,
            "metric": self.metric,
            "candidates": [{"params": c.params, **c.result.to_dict()} for c in self.candidates],
        }


def parse_grid(specs: list[str]) -> dict[str, list]:
    """``["n_factors=32,64", "reg_factor=0.05"]`` → ``{"n_factors": [32, 64], "reg_factor": [0.05]}``."""
    grid: dict[str, list] = {}
    for spec in specs:
        name, _, values = spec.partition("=")
        if not name or not values:
            raise ValueError(f"expected NAME=V1,V2,... got {spec!r}")
        grid[name.strip()] = [_number(value.strip()) for value in values.split(",") if value.strip()]
    return grid


def _number(text: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def candidates_of(grid: dict[str, list]) -> list[dict]:
    names = list(grid)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*(grid[name] for name in names))]


def default_grid(algorithm: str, metric: str = "rmse") -> dict[str, list]:
    """The grid searched for ``metric`` when none is given (empty when there is none)."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
    return DEFAULT_GRIDS[metric].get(algorithm, {})


def tune(algorithm: str, dataset: Dataset, grid: dict[str, list] | None = None, n_folds: int = 3,
         progress: Callable[[str], None] | None = None, metric: str = "rmse", item_genres=None) -> TuningResult:
    """Cross-validate every parameter combination of ``grid`` on the same ``n_folds`` folds, best
    ``metric`` first; with ``item_genres`` the lists are reranked as served."""
    defaults = default_grid(algorithm, metric)  # refuses an unknown metric, with a grid given or not
    grid = grid or defaults
    if not grid:
        raise ValueError(f"no grid given and no default {metric} grid for {algorithm!r}")
    candidates = candidates_of(grid)
    try:
        models = {str(index): algorithms.build(algorithm, **params) for index, params in enumerate(candidates)}
    except TypeError as exc:
        raise ValueError(f"bad parameters for {algorithm}: {exc}") from exc
    results = evaluation.evaluate(models, evaluation.kfold(dataset, n_splits=n_folds), progress=progress, item_genres=item_genres)
    if metric == "ndcg" and any(result.ndcg is None for result in results):
        raise ValueError("no NDCG to rank by: the held-out ratings hold no relevant title (too few ratings)")

    def order(candidate: Candidate) -> float:
        return candidate.result.rmse if metric == "rmse" else -candidate.result.ndcg

    ranked = sorted((Candidate(candidates[int(result.name)], result) for result in results), key=order)
    return TuningResult(algorithm=algorithm, n_folds=n_folds, candidates=ranked, metric=metric)

"""The per-request arithmetic of serving, compiled with numba: folding a user in (the ranking
vector: ``recommender.ranking.fold_in``) and choosing their top titles.
``recommender.serving.LoadedModel`` calls these whenever a user's ranking is computed.

Compiled because, written in numpy, a top-N request spent more time in the interpreter and in the
temporaries of a dozen array calls than in the arithmetic: each step here is one call, and scoring
reads every title's factors once while keeping only the best ``k`` (no score array to sort).
``bench/bench_serving.py`` and ``bench/bench_request_path.py`` time them.

Kernels are compiled once per machine (about 13 s) and cached on disk (``cache=True``).
``manage.py train`` compiles them at set-up, and ``warm_up()`` loads them when a process loads a
model, so requests do not wait for a compile.
"""
import numpy as np
from numba import njit

from . import ranking


@njit(cache=True)
def fold_in_rating(qi: np.ndarray, bi: np.ndarray, global_mean: float, penalty: float,
                   rows: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """The user bias and vector fitted to ``targets`` at item ``rows`` against the fixed item
    factors: ridge regression of the residuals on [1 | qi] with ``penalty`` on every coefficient."""
    n, k = rows.shape[0], qi.shape[1]
    design = np.empty((n, k + 1))
    residuals = np.empty(n)
    for r in range(n):
        design[r, 0] = 1.0
        design[r, 1:] = qi[rows[r]]
        residuals[r] = targets[r] - global_mean - bi[rows[r]]
    gram = design.T @ design
    for a in range(k + 1):
        gram[a, a] += penalty
    solution = np.linalg.solve(gram, design.T @ residuals)
    return solution[0], solution[1:].copy()


@njit(cache=True, fastmath=True)
def top_rows(factors: np.ndarray, base: np.ndarray, vector: np.ndarray, excluded: np.ndarray,
             allowed: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` rows with the highest ``base + factors @ vector``, best first (ties: lower row
    first), never a row in ``excluded``; when ``allowed`` is not empty, only rows where it is True."""
    n_rows, width = factors.shape
    skip = np.zeros(n_rows, dtype=np.bool_)
    for row in excluded:
        skip[row] = True
    # A min-heap of the best k so far: its root is the score a row must beat to get in.
    heap_scores = np.empty(k, dtype=np.float32)
    heap_rows = np.empty(k, dtype=np.int64)
    size = 0
    for row in range(n_rows):
        if skip[row] or (allowed.shape[0] > 0 and not allowed[row]):
            continue
        score = base[row]
        for a in range(width):
            score += factors[row, a] * vector[a]
        if size < k:
            at = size
            size += 1
            while at > 0 and heap_scores[(at - 1) // 2] > score:
                heap_scores[at], heap_rows[at] = heap_scores[(at - 1) // 2], heap_rows[(at - 1) // 2]
                at = (at - 1) // 2
        elif score > heap_scores[0]:
            at = 0
            while True:
                child = 2 * at + 1
                if child >= size:
                    break
                if child + 1 < size and heap_scores[child + 1] < heap_scores[child]:
                    child += 1
                if heap_scores[child] >= score:
                    break
                heap_scores[at], heap_rows[at] = heap_scores[child], heap_rows[child]
                at = child
        else:
            continue
        heap_scores[at], heap_rows[at] = score, row
    by_row = np.argsort(heap_rows[:size])
    chosen, chosen_scores = heap_rows[:size][by_row], heap_scores[:size][by_row]
    return chosen[np.argsort(-chosen_scores, kind="mergesort")]


def warm_up() -> None:
    """Compile (or load from the on-disk cache) every kernel on a tiny problem."""
    factors = np.eye(2)
    rows, targets = np.array([0], dtype=np.int64), np.array([4.0])
    fold_in_rating(factors, np.zeros(2), 3.5, 1.0, rows, targets)
    ranking.fold_in(factors.astype(np.float32), factors, rows, targets, 1.0)
    top_rows(factors.astype(np.float32), np.zeros(2, dtype=np.float32), np.ones(2, dtype=np.float32), rows, np.zeros(0, dtype=np.bool_), 1)

"""The implicit ranking model's formulas shared by training (``recommender.mf``) and serving.

Compiled with numba (cached on disk), without surprise, so web processes can import it.
A user's ranking vector is the weighted ridge solution of implicit ALS (Hu, Koren & Volinsky 2008)
against fixed item factors Q: every title is a 0 target with confidence 1, each title the user
rated a 1 target with confidence ``confidences(score, alpha)``:
(Q^T Q + reg I + Q_u^T (C_u - I) Q_u) x = Q_u^T C_u 1.
"""
import numpy as np
from numba import njit


@njit(cache=True)
def confidences(scores: np.ndarray, alpha: float) -> np.ndarray:
    """Confidence that a rated title is a real preference: 1 + alpha x score / 5, so a title the
    user rated highly weighs more than one they watched and disliked (the ranking target is
    "will watch it and like it")."""
    return 1.0 + alpha * scores.astype(np.float64) / 5.0


def regularised_gram(item_factors: np.ndarray, reg: float) -> np.ndarray:
    """Q^T Q + reg I, computed once per model so a fold-in costs only the user's own titles."""
    item_factors = np.asarray(item_factors, dtype=np.float64)
    return item_factors.T @ item_factors + reg * np.eye(item_factors.shape[1])


@njit(cache=True)
def fold_in(item_factors: np.ndarray, gram: np.ndarray, rows: np.ndarray, scores: np.ndarray,
            alpha: float) -> np.ndarray:
    """The ranking vector of a user who rated the titles at ``rows`` with ``scores`` (compiled: a
    web process runs it on every personal recommendation)."""
    n, k = rows.shape[0], item_factors.shape[1]
    rated = np.empty((n, k))
    for r in range(n):
        rated[r] = item_factors[rows[r]]
    weights = confidences(scores, alpha)
    weighted = rated * (weights - 1.0).reshape((n, 1))
    return np.linalg.solve(gram + weighted.T @ rated, rated.T @ weights)

"""How much each title a user rated adds to a recommended title's order score: what "Because you
rated X" should name (Hu, Koren & Volinsky, ICDM 2008, section 5, for the implicit part).

A served order score is ``order_base[i]`` (the title's own prior: no rated title explains it) plus
three terms, each a sum over the user's rated titles j:

- implicit ALS: y_i . x with x = A^-1 Y_u^T c, A = Y^T Y + reg I + Y_u^T (C_u - I) Y_u, so the term is
  sum_j (y_i^T A^-1 y_j) c_j;
- ``ranking_weight`` x the rating part: the user's bias and vector are the ridge solution
  S (r - mu - b) on [1 | q_j], so [0, q_i] . S[:, j] (r_j - mu - b_j) is title j's share (the bias
  shifts every title alike and is not in the order);
- the neighbour term: n_i . basis_j / sqrt(number rated), for each title j rated at least
  ``neighbour_min_rating``.

``contributions`` returns those per-title shares; with ``order_base`` they add up to the score that
``serving.LoadedModel.ranked`` orders by (a unit test checks it).
"""
import numpy as np

from . import ranking


def contributions(model, scores: dict[int, float], title_ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """(rated title ids, a len(title_ids) x len(rated) array of each rated title's share of each
    title's order score). Titles or ratings the model does not know are left out."""
    rows, targets = model.rated(scores)
    rated_ids = model.factors.title_ids[rows].astype(np.int64)
    chosen = np.array([model.row_of_title[t] for t in title_ids if t in model.row_of_title], dtype=np.int64)
    shares = np.zeros((len(chosen), len(rows)))
    if not len(rows) or not len(chosen):
        return rated_ids, shares
    f = model.factors
    if model.ranking_gram is not None:
        # Index before casting: converting the whole float32 matrix would copy every title's row.
        ranking_rows = f.ranking_qi[rows].astype(np.float64)
        weights = ranking.confidences(targets, f.ranking_alpha)
        system = model.ranking_gram + ranking_rows.T @ (ranking_rows * (weights - 1.0)[:, None])
        through = np.linalg.solve(system, ranking_rows.T)  # A^-1 y_j for each rated j, as columns
        shares += (f.ranking_qi[chosen].astype(np.float64) @ through) * weights[None, :]
        rating_weight = f.ranking_weight
    else:
        rating_weight = 1.0
    design = np.column_stack([np.ones(len(rows)), f.qi[rows]])
    penalty = model.fold_in_penalty(len(rows))
    solve = np.linalg.solve(design.T @ design + penalty * np.eye(design.shape[1]), design.T)
    residuals = targets - f.global_mean - f.bi[rows]
    # The user's bias moves every title alike: it is in no title's order, so it is no one's share.
    recommended = np.column_stack([np.zeros(len(chosen)), f.qi[chosen]])
    shares += rating_weight * (recommended @ solve) * residuals[None, :]
    if model.neighbour_basis is not None:
        liked = (targets >= f.neighbour_min_rating).astype(np.float64)
        shares += (f.neighbour_qi[chosen].astype(np.float64) @ model.neighbour_basis[rows].T) * liked[None, :] / np.sqrt(len(rows))
    return rated_ids, shares

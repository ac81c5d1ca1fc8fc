"""The compiled serving kernels agree with the plain numpy arithmetic they replace."""
import numpy as np

from recommender import ranking, scoring


def test_top_rows_matches_a_full_sort_and_honours_exclusions_filters_and_ties():
    rng = np.random.default_rng(3)
    factors = rng.normal(size=(500, 8)).astype(np.float32)
    base = rng.normal(size=500).astype(np.float32)
    vector = rng.normal(size=8).astype(np.float32)
    scores = base + factors @ vector
    excluded = np.array([int(np.argmax(scores)), 7], dtype=np.int64)
    expected = [row for row in np.argsort(-scores, kind="stable") if row not in excluded][:20]
    none_allowed = np.zeros(0, dtype=np.bool_)
    assert scoring.top_rows(factors, base, vector, excluded, none_allowed, 20).tolist() == expected
    allowed = np.zeros(500, dtype=np.bool_)
    allowed[::3] = True
    best_allowed = [row for row in np.argsort(-scores, kind="stable") if allowed[row] and row not in excluded][:5]
    assert scoring.top_rows(factors, base, vector, excluded, allowed, 5).tolist() == best_allowed
    tied = np.zeros((6, 2), dtype=np.float32)
    assert scoring.top_rows(tied, np.zeros(6, dtype=np.float32), np.ones(2, dtype=np.float32), np.array([1], dtype=np.int64), none_allowed, 3).tolist() == [0, 2, 3]
    assert scoring.top_rows(factors[:4], base[:4], vector, np.arange(4), none_allowed, 3).tolist() == []


def test_fold_ins_solve_the_ridge_and_implicit_systems():
    rng = np.random.default_rng(5)
    qi = rng.normal(size=(50, 4))
    bi = rng.normal(size=50)
    rows = np.array([3, 9, 14, 30], dtype=np.int64)
    targets = np.array([4.0, 2.5, 5.0, 1.0])
    bias, vector = scoring.fold_in_rating(qi, bi, 3.5, 2.0, rows, targets)
    design = np.hstack([np.ones((4, 1)), qi[rows]])
    solution = np.linalg.solve(design.T @ design + 2.0 * np.eye(5), design.T @ (targets - 3.5 - bi[rows]))
    np.testing.assert_allclose([bias, *vector], solution, rtol=1e-10)

    ranking_qi = rng.normal(size=(50, 3)).astype(np.float32)
    gram = ranking.regularised_gram(ranking_qi, 0.5)
    rated = ranking_qi[rows].astype(np.float64)
    weights = 1.0 + 10.0 * targets / 5.0
    expected = np.linalg.solve(gram + (rated.T * (weights - 1.0)) @ rated, rated.T @ weights)
    np.testing.assert_allclose(ranking.fold_in(ranking_qi, gram, rows, targets, 10.0), expected, rtol=1e-10)

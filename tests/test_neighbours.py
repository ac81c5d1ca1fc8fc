"""Low-rank EASE (recommender.neighbours) against EASE's dense closed form."""
import numpy as np
from scipy.sparse import csr_matrix

from recommender import neighbours
from recommender.baselines import ease_weights


def rated_matrix(n_users=300, n_items=40, seed=0) -> csr_matrix:
    """Users who rate within one of two blocks of titles, plus a few titles anywhere."""
    rng = np.random.default_rng(seed)
    block = rng.integers(0, 2, n_users)
    in_block = (np.arange(n_items)[None, :] < n_items // 2) == (block[:, None] == 0)
    chosen = rng.random((n_users, n_items)) < np.where(in_block, 0.4, 0.05)
    return csr_matrix(chosen.astype(np.float64))


def test_every_direction_kept_is_dense_ease_on_unrated_titles():
    # 10 titles duplicate others (rated by the same users), so XᵀX has rank 30 < 39 factors: every
    # direction with a non-zero eigenvalue is kept, and the low-rank form must be EASE exactly.
    distinct = rated_matrix(n_items=30).toarray()
    rated = csr_matrix(np.hstack([distinct, distinct[:, :10]]))
    reg = 50.0
    dense = rated.toarray() @ ease_weights((rated.T @ rated).toarray(), reg)
    basis, item_factors = neighbours.spectral_ease(rated, n_factors=rated.shape[1] - 1, reg=reg)
    low_rank = (rated @ basis) @ item_factors.T
    unrated = rated.toarray() == 0
    np.testing.assert_allclose(low_rank[unrated], dense[unrated], atol=1e-6 * np.abs(dense[unrated]).max())


def test_few_factors_keep_the_block_structure():
    rated = rated_matrix()
    basis, item_factors = neighbours.spectral_ease(rated, n_factors=4, reg=50.0)
    # A user who liked two titles of the first block gets first-block titles on top.
    vector = neighbours.user_vector(basis, np.array([0, 1]), np.array([5.0, 4.0]), min_rating=3.0)
    scores = item_factors @ vector
    scores[[0, 1]] = -np.inf
    assert set(np.argsort(-scores)[:10]) <= set(range(20))


def test_only_liked_titles_count_but_every_rating_scales():
    basis = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    vector = neighbours.user_vector(basis, np.array([0, 1, 2, 0]), np.array([5.0, 2.0, 3.0, 4.0]), min_rating=3.0)
    np.testing.assert_allclose(vector, (basis[0] + basis[2] + basis[0]) / 2.0)
    np.testing.assert_array_equal(neighbours.user_vector(basis, np.array([], dtype=np.int64), np.array([]), 3.0), [0.0, 0.0])


def test_user_vectors_matches_user_vector_row_by_row():
    basis = np.random.default_rng(1).normal(size=(5, 3))
    ratings = csr_matrix(np.array([[5.0, 0, 2.0, 0, 4.0], [0, 1.0, 0, 0, 0], [0, 0, 0, 0, 0]]))
    together = neighbours.user_vectors(basis, ratings, 3.0)
    for row in range(3):
        start, stop = ratings.indptr[row], ratings.indptr[row + 1]
        np.testing.assert_allclose(together[row], neighbours.user_vector(basis, ratings.indices[start:stop], ratings.data[start:stop], 3.0))

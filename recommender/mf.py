"""Biased matrix factorisation compiled with numba, as a scikit-surprise ``AlgoBase`` subclass.

``BiasedMF`` is a biased matrix factorisation trained by stochastic gradient descent for predicted
ratings, plus implicit ALS factors of who rated what for ranking; it exposes both to the site
(``bu``, ``bi``, ``pu``, ``qi``, ``reg_pu``; ``ranking_qi``, ``ranking_bi``, ``ranking_weight``,
``ranking_reg``, ``ranking_alpha``). Bayesian MF is in ``recommender.bayesian``.

The numba kernels are compiled once per machine and cached on disk (``cache=True``); call
``recommender.algorithms.warm_up()`` before timing a fit so the first compile is not counted.
"""
import itertools

import numpy as np
from numba import njit, prange
from scipy.sparse import csr_matrix
from surprise import AlgoBase, PredictionImpossible, Trainset

from . import neighbours, ranking


def trainset_arrays(trainset: Trainset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ratings of ``trainset`` as (inner user ids, inner item ids, ratings), grouped by user."""
    ratings_per_user = np.fromiter((len(trainset.ur[u]) for u in range(trainset.n_users)), np.int64, trainset.n_users)
    # ``ur`` maps each user to [(item, rating), ...]; flattening it in C is far faster than all_ratings().
    pairs = np.fromiter(
        itertools.chain.from_iterable(itertools.chain.from_iterable(trainset.ur[u] for u in range(trainset.n_users))),
        np.float64,
        2 * trainset.n_ratings,
    ).reshape(-1, 2)
    users = np.repeat(np.arange(trainset.n_users, dtype=np.int32), ratings_per_user)
    return users, pairs[:, 0].astype(np.int32), pairs[:, 1].copy()


# --------------------------------------------------------------------------- biased MF by SGD

# Training users whose scores set the scale of the neighbour term (``BiasedMF._fit_neighbours``).
CALIBRATION_USERS = 500


@njit(cache=True, fastmath=True)
def _sgd_fit(users, items, ratings, global_mean, bu, bi, pu, qi, n_epochs, lr_bias, lr_factor,
             reg_bias, reg_factor, lr_decay):
    n_factors = pu.shape[1]
    for _ in range(n_epochs):
        for index in range(ratings.shape[0]):
            u = users[index]
            i = items[index]
            dot = np.float32(0.0)
            for f in range(n_factors):
                dot += pu[u, f] * qi[i, f]
            err = ratings[index] - (global_mean + bu[u] + bi[i] + dot)
            bu[u] += lr_bias * (err - reg_bias * bu[u])
            bi[i] += lr_bias * (err - reg_bias * bi[i])
            for f in range(n_factors):
                user_factor = pu[u, f]
                item_factor = qi[i, f]
                pu[u, f] += lr_factor * (err * item_factor - reg_factor * user_factor)
                qi[i, f] += lr_factor * (err * user_factor - reg_factor * item_factor)
        lr_bias *= lr_decay
        lr_factor *= lr_decay


@njit(cache=True, parallel=True, fastmath=True)
def _implicit_als_half_step(indptr, neighbours, confidences, other, gram, out, cg_steps):
    """Update each row of ``out`` towards its weighted ridge solution given the fixed ``other`` rows.

    Row r prefers (target 1) each ``other[neighbours[j]]``, j in indptr[r]:indptr[r+1], with
    confidence ``confidences[j]``, and every other row of ``other`` with confidence 1 and target 0:
    (gram + sum_j (c_j - 1) y_j y_j^T) x = sum_j c_j y_j, where gram = other^T other + reg I.
    A few conjugate-gradient steps warm-started from the current row replace the k x k solve
    (Takacs et al. 2011): each step costs one pass over the row's items, not k^2 per item.
    """
    # Explicit loops, no temporaries inside them: a numpy expression per rated item would allocate
    # and call BLAS on vectors of a few dozen floats, which costs more than the arithmetic.
    dim = out.shape[1]
    for row in prange(out.shape[0]):
        start, stop = indptr[row], indptr[row + 1]
        x = out[row].copy()
        residual = np.empty(dim)
        product = np.empty(dim)
        for a in range(dim):
            acc = 0.0
            for b in range(dim):
                acc += gram[a, b] * x[b]
            residual[a] = -acc
        for j in range(start, stop):
            item = other[neighbours[j]]
            confidence = confidences[j]
            projection = 0.0
            for a in range(dim):
                projection += item[a] * x[a]
            weight = confidence - (confidence - 1.0) * projection
            for a in range(dim):
                residual[a] += weight * item[a]
        direction = residual.copy()
        residual_norm = 0.0
        for a in range(dim):
            residual_norm += residual[a] * residual[a]
        for _ in range(cg_steps):
            if residual_norm < 1e-20:
                break
            for a in range(dim):
                acc = 0.0
                for b in range(dim):
                    acc += gram[a, b] * direction[b]
                product[a] = acc
            for j in range(start, stop):
                item = other[neighbours[j]]
                projection = 0.0
                for a in range(dim):
                    projection += item[a] * direction[a]
                weight = (confidences[j] - 1.0) * projection
                for a in range(dim):
                    product[a] += weight * item[a]
            curvature = 0.0
            for a in range(dim):
                curvature += direction[a] * product[a]
            step = residual_norm / curvature
            new_norm = 0.0
            for a in range(dim):
                x[a] += step * direction[a]
                residual[a] -= step * product[a]
                new_norm += residual[a] * residual[a]
            ratio = new_norm / residual_norm
            for a in range(dim):
                direction[a] = residual[a] + ratio * direction[a]
            residual_norm = new_norm
        out[row] = x


def implicit_als(users: np.ndarray, items: np.ndarray, confidences: np.ndarray, n_users: int, n_items: int,
                 n_factors: int, reg: float, n_iterations: int, cg_steps: int,
                 seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Weighted matrix factorisation of who-rated-what (Hu, Koren & Volinsky 2008) by alternating
    least squares: user and item factors whose product scores how likely a user is to rate an item."""
    rng = np.random.default_rng(seed)
    user_factors = rng.normal(0.0, 0.01, (n_users, n_factors))
    item_factors = rng.normal(0.0, 0.01, (n_items, n_factors))
    by_user = np.argsort(users, kind="stable")
    user_indptr = np.concatenate(([0], np.cumsum(np.bincount(users, minlength=n_users))))
    by_item = np.argsort(items, kind="stable")
    item_indptr = np.concatenate(([0], np.cumsum(np.bincount(items, minlength=n_items))))
    ridge = reg * np.eye(n_factors)
    for _ in range(n_iterations):
        _implicit_als_half_step(user_indptr, items[by_user], confidences[by_user], item_factors,
                                item_factors.T @ item_factors + ridge, user_factors, cg_steps)
        _implicit_als_half_step(item_indptr, users[by_item], confidences[by_item], user_factors,
                                user_factors.T @ user_factors + ridge, item_factors, cg_steps)
    # One last user step against the final item factors, run to convergence: the site folds a
    # user in against those same item factors by an exact solve, and should get the same vector.
    _implicit_als_half_step(user_indptr, items[by_user], confidences[by_user], item_factors,
                            item_factors.T @ item_factors + ridge, user_factors, 4 * n_factors)
    return user_factors, item_factors


class BiasedMF(AlgoBase):
    """Biased matrix factorisation r(u, i) = mu + bu[u] + bi[i] + pu[u] . qi[i], fitted by SGD,
    plus a second, implicit factor model that ranks titles for top-N lists.

    The rating model is the same as surprise ``SVD``, compiled with numba in float32. Ratings are
    shuffled once and then read sequentially each epoch (fewer cache misses than a fresh random
    order, as accurate), and the learning rate decays each epoch, so a large initial rate converges
    in few epochs. ``predict``/``estimate`` give its ratings (the stars the site shows).

    Ranking every unrated title rewards predicting which titles a user will watch, which rating
    error does not train (bench/README.md). So ``score_users`` ranks by
    ranking_pu[u] . ranking_qi[i] + ranking_bi[i] + ranking_weight x predicted rating, where the
    ranking factors are implicit ALS on who-rated-what with confidence growing with the rating
    (``ranking_factors=0`` ranks by predicted rating alone). The site folds a new user's ranking
    vector in by the exact weighted ridge solution against ``ranking_qi`` (``ranking_reg``,
    ``ranking_alpha``, see ``recommender.ranking``). To that order the title-to-title neighbour
    term of the titles the user liked is added, ``neighbour_vector(u) . neighbour_qi[i]`` (low-rank
    EASE, ``recommender.neighbours``; ``neighbour_factors=0`` leaves it out): it is what ranks well
    for a user with few ratings. The defaults were tuned on MovieLens 1M.
    """

    # Served by folding users in (``serving.LoadedModel``): evaluated through the site's pipeline.
    folds_in = True

    def __init__(self, n_factors: int = 64, n_epochs: int = 30, lr_bias: float = 0.01,
                 lr_factor: float = 0.03, reg_bias: float = 0.02, reg_factor: float = 0.07,
                 lr_decay: float = 0.93, init_std: float = 0.05, ranking_factors: int = 64,
                 ranking_reg: float = 30.0, ranking_alpha: float = 3.0, ranking_iterations: int = 6,
                 ranking_cg_steps: int = 3, ranking_weight: float = 0.15, neighbour_factors: int = 64,
                 neighbour_reg: float = 100.0, neighbour_weight: float = 0.5, neighbour_min_rating: float = 3.0,
                 random_state: int = 0):
        super().__init__()
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.lr_bias = lr_bias
        self.lr_factor = lr_factor
        self.reg_bias = reg_bias
        self.reg_factor = reg_factor
        self.lr_decay = lr_decay
        self.init_std = init_std
        self.ranking_factors = ranking_factors
        self.ranking_reg = float(ranking_reg)
        self.ranking_alpha = float(ranking_alpha)
        self.ranking_iterations = ranking_iterations
        self.ranking_cg_steps = ranking_cg_steps
        self.ranking_weight = float(ranking_weight)
        self.neighbour_factors = neighbour_factors
        self.neighbour_reg = float(neighbour_reg)
        self.neighbour_weight = float(neighbour_weight)
        self.neighbour_min_rating = float(neighbour_min_rating)
        self.random_state = random_state
        # The site folds new users in with ridge regression on qi; this is the matching penalty.
        self.reg_pu = float(reg_factor)

    def fit(self, trainset: Trainset) -> "BiasedMF":
        super().fit(trainset)
        users, items, ratings = trainset_arrays(trainset)
        rng = np.random.default_rng(self.random_state)
        order = rng.permutation(len(ratings))
        self.bu = np.zeros(trainset.n_users, dtype=np.float32)
        self.bi = np.zeros(trainset.n_items, dtype=np.float32)
        self.pu = rng.normal(0.0, self.init_std, (trainset.n_users, self.n_factors)).astype(np.float32)
        self.qi = rng.normal(0.0, self.init_std, (trainset.n_items, self.n_factors)).astype(np.float32)
        f32 = np.float32
        _sgd_fit(users[order], items[order], ratings[order].astype(f32), f32(trainset.global_mean),
                 self.bu, self.bi, self.pu, self.qi, self.n_epochs, f32(self.lr_bias), f32(self.lr_factor),
                 f32(self.reg_bias), f32(self.reg_factor), f32(self.lr_decay))
        self._fit_ranking(users, items, ratings)
        self._fit_neighbours(users, items, ratings)
        return self

    def _fit_ranking(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray) -> None:
        n_users, n_items = self.trainset.n_users, self.trainset.n_items
        if self.ranking_factors > 0:
            ranking_pu, ranking_qi = implicit_als(
                users, items, ranking.confidences(ratings, self.ranking_alpha), n_users, n_items,
                self.ranking_factors, self.ranking_reg, self.ranking_iterations, self.ranking_cg_steps,
                self.random_state)
        else:
            ranking_pu, ranking_qi = np.zeros((n_users, 0)), np.zeros((n_items, 0))
        self.ranking_pu = ranking_pu.astype(np.float32)
        self.ranking_qi = ranking_qi.astype(np.float32)
        # The implicit model has no item term of its own; the rating prediction carries bi.
        self.ranking_bi = np.zeros(n_items, dtype=np.float32)

    def _fit_neighbours(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray) -> None:
        """Low-rank EASE (``recommender.neighbours``) with λ = ``neighbour_reg`` x the mean number
        of ratings per title (so one setting suits a sparse and a dense file: 100 chose λ = 10,000
        on ML-1M and 1,000 on dslabs, each near the best there), its item factors scaled so that
        over a sample of training users the term spreads ``neighbour_weight`` x as wide as the
        rest of the order score."""
        n_users, n_items = self.trainset.n_users, self.trainset.n_items
        self.user_ratings = csr_matrix((ratings, (users, items)), shape=(n_users, n_items))
        if self.neighbour_factors == 0 or self.neighbour_weight == 0:
            self.neighbour_basis = self.neighbour_qi = np.zeros((n_items, 0), dtype=np.float32)
            return
        rated = csr_matrix((np.ones(len(users)), (users, items)), shape=(n_users, n_items))
        basis, item_factors = neighbours.spectral_ease(rated, self.neighbour_factors,
                                                       self.neighbour_reg * len(ratings) / n_items)
        sample = np.random.default_rng(self.random_state).permutation(n_users)[:CALIBRATION_USERS]
        spread = self._order_scores(sample).std(axis=1).mean()
        term = neighbours.user_vectors(basis, self.user_ratings[sample], self.neighbour_min_rating) @ item_factors.T
        term_spread = term.std(axis=1).mean()
        scale = self.neighbour_weight * spread / term_spread if term_spread > 0 else 0.0
        self.neighbour_basis = basis.astype(np.float32)
        self.neighbour_qi = (scale * item_factors).astype(np.float32)

    def estimate(self, u, i):
        known_user, known_item = self.trainset.knows_user(u), self.trainset.knows_item(i)
        if not (known_user or known_item):
            raise PredictionImpossible("user and item are unknown")
        estimate = self.trainset.global_mean
        if known_user:
            estimate += self.bu[u]
        if known_item:
            estimate += self.bi[i]
        if known_user and known_item:
            estimate += self.pu[u] @ self.qi[i]
        return float(estimate)

    def predict_users(self, inner_uids: np.ndarray) -> np.ndarray:
        """Predicted ratings of ``inner_uids`` (rows) for every item of the trainset (columns)."""
        return (self.trainset.global_mean + self.bu[inner_uids, None] + self.bi[None, :]
                + self.pu[inner_uids] @ self.qi.T)

    def score_users(self, inner_uids: np.ndarray) -> np.ndarray:
        """Ranking scores of ``inner_uids`` (rows) for every item of the trainset (columns), as the
        site ranks: the implicit score plus ``ranking_weight`` x the predicted rating (unclipped, so
        the site scores both in one product), or the predicted rating alone without ranking
        factors, plus the neighbour term of the titles each user liked."""
        liked = neighbours.user_vectors(self.neighbour_basis, self.user_ratings[inner_uids], self.neighbour_min_rating)
        return self._order_scores(inner_uids) + liked @ self.neighbour_qi.T

    def _order_scores(self, inner_uids: np.ndarray) -> np.ndarray:
        predicted = self.predict_users(inner_uids)
        if self.ranking_factors == 0:
            return predicted
        return self.ranking_pu[inner_uids] @ self.ranking_qi.T + self.ranking_bi + self.ranking_weight * predicted

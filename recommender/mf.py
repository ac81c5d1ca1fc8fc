"""Matrix factorisation algorithms compiled with numba, as scikit-surprise ``AlgoBase`` subclasses.

``BiasedMF`` is a biased matrix factorisation trained by stochastic gradient descent for predicted
ratings, plus implicit ALS factors of who rated what for ranking; it exposes both to the site
(``bu``, ``bi``, ``pu``, ``qi``, ``reg_pu``; ``ranking_qi``, ``ranking_bi``, ``ranking_weight``,
``ranking_reg``, ``ranking_alpha``).
``BayesianMF`` is Bayesian probabilistic matrix factorisation (Salakhutdinov & Mnih 2008) with user
and item biases and optionally Student-t noise, sampled by Gibbs sampling; it predicts with the
posterior mean over samples.

The numba kernels are compiled once per machine and cached on disk (``cache=True``); call
``warm_up()`` before timing a fit so the first compile is not counted.
"""
import itertools

import numpy as np
import pandas as pd
from numba import njit, prange
from scipy.stats import wishart
from surprise import AlgoBase, Dataset, PredictionImpossible, Reader, Trainset
from threadpoolctl import threadpool_limits

from . import ranking


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
    ``ranking_alpha``, see ``recommender.ranking``). The defaults were tuned on MovieLens 1M.
    """

    def __init__(self, n_factors: int = 64, n_epochs: int = 30, lr_bias: float = 0.01,
                 lr_factor: float = 0.03, reg_bias: float = 0.02, reg_factor: float = 0.07,
                 lr_decay: float = 0.93, init_std: float = 0.05, ranking_factors: int = 64,
                 ranking_reg: float = 30.0, ranking_alpha: float = 3.0, ranking_iterations: int = 6,
                 ranking_cg_steps: int = 3, ranking_weight: float = 0.15, random_state: int = 0):
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
        the site scores both in one product); the predicted rating alone without ranking factors."""
        predicted = self.predict_users(inner_uids)
        if self.ranking_factors == 0:
            return predicted
        return self.ranking_pu[inner_uids] @ self.ranking_qi.T + self.ranking_bi + self.ranking_weight * predicted


# --------------------------------------------------------------------------- Bayesian MF by Gibbs sampling


@njit(cache=True, parallel=True)
def _sample_rows(indptr, neighbours, targets, target_precisions, other, prior_mean, prior_precision, normals, out):
    """Draw each row of ``out`` from its Gaussian conditional given the rows of ``other``.

    Row r observes each ``targets[j]``, j in indptr[r]:indptr[r+1], as
    N(out[r] . other[neighbours[j]], 1 / target_precisions[j]).
    ``normals`` holds one standard normal vector per row, drawn outside so sampling is reproducible.
    """
    dim = out.shape[1]
    prior_term = prior_precision @ prior_mean
    for row in prange(out.shape[0]):
        start, stop = indptr[row], indptr[row + 1]
        features = np.ascontiguousarray(other[neighbours[start:stop]])
        weighted = features * target_precisions[start:stop].reshape(-1, 1)
        precision = prior_precision + features.T @ weighted
        rhs = prior_term + weighted.T @ targets[start:stop]
        lower = np.linalg.cholesky(precision)
        # precision = L L^T: mean = L^-T L^-1 rhs and mean + L^-T z has covariance precision^-1,
        # so one forward and one backward substitution give the sample.
        forward = np.empty(dim)
        for a in range(dim):
            acc = rhs[a]
            for b in range(a):
                acc -= lower[a, b] * forward[b]
            forward[a] = acc / lower[a, a]
        for a in range(dim - 1, -1, -1):
            acc = forward[a] + normals[row, a]
            for b in range(a + 1, dim):
                acc -= lower[b, a] * out[row, b]
            out[row, a] = acc / lower[a, a]


@njit(cache=True, parallel=True)
def _residuals(users, items, ratings, offset, user_rows, item_rows):
    """ratings - offset - user_rows[u] . item_rows[i] for every rating."""
    result = np.empty(ratings.shape[0])
    for index in prange(ratings.shape[0]):
        result[index] = ratings[index] - offset - user_rows[users[index]] @ item_rows[items[index]]
    return result


def _sample_normal_wishart(rows: np.ndarray, rng: np.random.Generator, beta0: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Draw the mean and precision of the rows' Gaussian prior from its Normal-Wishart posterior
    (prior: mean 0, beta0, Wishart(I, dim))."""
    count, dim = rows.shape
    row_mean = rows.mean(axis=0)
    centred = rows - row_mean
    scatter = centred.T @ centred
    posterior_beta = beta0 + count
    inverse_scale = np.eye(dim) + scatter + (beta0 * count / posterior_beta) * np.outer(row_mean, row_mean)
    scale = np.linalg.inv(inverse_scale)
    precision = wishart.rvs(df=dim + count, scale=(scale + scale.T) / 2, random_state=rng)
    precision = np.atleast_2d(precision)
    mean_covariance = np.linalg.inv(posterior_beta * precision)
    mean = rng.multivariate_normal(count * row_mean / posterior_beta, mean_covariance)
    return mean, precision


class BayesianMF(AlgoBase):
    """Bayesian probabilistic matrix factorisation with biases, fitted by Gibbs sampling.

    r(u, i) = mu + bu[u] + bi[i] + pu[u] . qi[i] + noise, with hierarchical Normal-Wishart priors on
    the user rows (pu[u], bu[u]) and item rows (qi[i], bi[i]) and a Gamma prior on the noise
    precision. With ``noise_dof`` the noise is Student-t with that many degrees of freedom rather
    than Gaussian: ratings far off the model weigh less, which lowers MAE markedly at about the
    same RMSE (measured on MovieLens 1M, bench/README.md).

    The prediction is the mean over the samples drawn after ``burn_in`` sweeps of each sample's
    prediction clipped to the rating scale, kept as a dense users x items matrix (float32), so memory
    grows with users x items. Averaging over samples is what makes it more accurate than one point
    estimate, so it does not expose factors for serving.
    """

    def __init__(self, n_factors: int = 32, n_samples: int = 300, burn_in: int = 30, noise_dof: float | None = 12.0,
                 init_std: float = 0.1, random_state: int = 0):
        super().__init__()
        self.n_factors = n_factors
        self.noise_dof = noise_dof
        self.n_samples = n_samples
        self.burn_in = burn_in
        self.init_std = init_std
        self.random_state = random_state

    def fit(self, trainset: Trainset) -> "BayesianMF":
        # The sampler runs rows in parallel on numba threads, each calling BLAS on small matrices;
        # BLAS threads of their own would oversubscribe the cores (measured 8x slower on 2 cores).
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(trainset)

    def _fit(self, trainset: Trainset) -> "BayesianMF":
        super().fit(trainset)
        rng = np.random.default_rng(self.random_state)
        users, items, ratings = trainset_arrays(trainset)
        mu = trainset.global_mean
        low, high = trainset.rating_scale
        n_users, n_items, k = trainset.n_users, trainset.n_items, self.n_factors
        user_indptr = np.concatenate(([0], np.cumsum(np.bincount(users, minlength=n_users))))
        by_item = np.argsort(items, kind="stable")
        item_indptr = np.concatenate(([0], np.cumsum(np.bincount(items, minlength=n_items))))
        item_neighbours, item_ratings = users[by_item], ratings[by_item]

        # User rows are [pu, bu, 1] and item rows [qi, 1, bi], so that user_rows[u] . item_rows[i]
        # = pu.qi + bu + bi. Each side samples its first k+1 columns; the other side's constant
        # column turns the bias into one more factor.
        user_rows = np.hstack([rng.normal(0, self.init_std, (n_users, k)), np.zeros((n_users, 1)), np.ones((n_users, 1))])
        item_rows = np.hstack([rng.normal(0, self.init_std, (n_items, k)), np.ones((n_items, 1)), np.zeros((n_items, 1))])
        noise_precision = 2.0
        # Per-rating precision scales: all ones for Gaussian noise, sampled for Student-t noise.
        rating_weights = np.ones(len(ratings))
        prediction_sum = np.zeros((n_users, n_items), dtype=np.float32)
        sampled_user = slice(0, k + 1)
        sampled_item = np.r_[0:k, k + 1]
        user_bias_sum, item_bias_sum = np.zeros(n_users), np.zeros(n_items)

        for sweep in range(self.burn_in + self.n_samples):
            rating_precisions = noise_precision * rating_weights
            # Users given items: target r - mu - bi, features [qi, 1].
            mean, precision = _sample_normal_wishart(user_rows[:, sampled_user], rng)
            targets = ratings - mu - item_rows[items, k + 1]
            rows = np.ascontiguousarray(user_rows[:, sampled_user])
            _sample_rows(user_indptr, items, targets, rating_precisions, np.ascontiguousarray(item_rows[:, :k + 1]),
                         mean, precision, rng.standard_normal((n_users, k + 1)), rows)
            user_rows[:, sampled_user] = rows
            # Items given users: target r - mu - bu, features [pu, 1].
            mean, precision = _sample_normal_wishart(item_rows[:, sampled_item], rng)
            targets = item_ratings - mu - user_rows[item_neighbours, k]
            rows = np.ascontiguousarray(item_rows[:, sampled_item])
            user_features = np.ascontiguousarray(user_rows[:, np.r_[0:k, k + 1]])
            _sample_rows(item_indptr, item_neighbours, targets, rating_precisions[by_item], user_features,
                         mean, precision, rng.standard_normal((n_items, k + 1)), rows)
            item_rows[:, sampled_item] = rows
            squared_residuals = _residuals(users, items, ratings, mu, user_rows, item_rows) ** 2
            if self.noise_dof:
                # Student-t noise as a Gaussian scale mixture: each rating's weight given its residual.
                rating_weights = rng.gamma((self.noise_dof + 1) / 2,
                                           2.0 / (self.noise_dof + noise_precision * squared_residuals))
            # Noise precision given everything else (Gamma(1, 1) prior).
            noise_precision = rng.gamma(1.0 + len(ratings) / 2,
                                        1.0 / (1.0 + rating_weights @ squared_residuals / 2))
            if sweep >= self.burn_in:
                # float32 is ample for an average of clipped ratings and halves the work on the big matrix.
                sample = user_rows.astype(np.float32) @ item_rows.T.astype(np.float32)
                sample += np.float32(mu)
                np.clip(sample, low, high, out=sample)
                prediction_sum += sample
                user_bias_sum += user_rows[:, k]
                item_bias_sum += item_rows[:, k + 1]

        self.predictions = prediction_sum / np.float32(self.n_samples)
        # Posterior mean biases predict for a user or item the trainset does not know.
        self.bu = user_bias_sum / self.n_samples
        self.bi = item_bias_sum / self.n_samples
        return self

    def estimate(self, u, i):
        known_user, known_item = self.trainset.knows_user(u), self.trainset.knows_item(i)
        if known_user and known_item:
            return float(self.predictions[u, i])
        if known_user:
            return self.trainset.global_mean + self.bu[u]
        if known_item:
            return self.trainset.global_mean + self.bi[i]
        raise PredictionImpossible("user and item are unknown")

    def score_users(self, inner_uids: np.ndarray) -> np.ndarray:
        """Predicted ratings of ``inner_uids`` (rows) for every item of the trainset (columns)."""
        return self.predictions[inner_uids]


def warm_up() -> None:
    """Compile (or load from the on-disk cache) every numba kernel on a tiny problem."""
    frame = pd.DataFrame({"user": [0, 0, 1, 1, 2], "item": [0, 1, 0, 2, 1], "rating": [4.0, 3.0, 5.0, 2.0, 1.0]})
    trainset = Dataset.load_from_df(frame, Reader(rating_scale=(1, 5))).build_full_trainset()
    BiasedMF(n_factors=2, n_epochs=1).fit(trainset)
    BayesianMF(n_factors=2, n_samples=1, burn_in=0).fit(trainset)

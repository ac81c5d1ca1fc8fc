"""Matrix factorisation algorithms compiled with numba, as scikit-surprise ``AlgoBase`` subclasses.

``BiasedMF`` is a biased matrix factorisation trained by stochastic gradient descent; it exposes the
factors the site serves (``bu``, ``bi``, ``pu``, ``qi``, ``reg_pu``) and can add an exposure score
(PureSVD of who rated what) as extra factor columns, which trades rating accuracy for ranking.
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
from scipy.sparse import csr_matrix
from scipy.sparse.linalg import svds
from scipy.stats import wishart
from surprise import AlgoBase, Dataset, PredictionImpossible, Reader, Trainset
from threadpoolctl import threadpool_limits


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


def exposure_factors(users: np.ndarray, items: np.ndarray, n_users: int, n_items: int, rank: int,
                     seed: int) -> tuple[np.ndarray, np.ndarray]:
    """PureSVD of the who-rated-what matrix X: user factors X V and item factors V, whose product
    scores how likely a user is to rate (watch) an item at all, whatever the rating."""
    rated = csr_matrix((np.ones(len(users), dtype=np.float32), (users, items)), shape=(n_users, n_items))
    rank = min(rank, min(n_users, n_items) - 1)
    _, _, item_vectors_t = svds(rated, k=rank, random_state=seed)
    item_vectors = np.ascontiguousarray(item_vectors_t.T, dtype=np.float32)
    return np.asarray(rated @ item_vectors, dtype=np.float32), item_vectors


class BiasedMF(AlgoBase):
    """Biased matrix factorisation r(u, i) = mu + bu[u] + bi[i] + pu[u] . qi[i], fitted by SGD.

    The same model as surprise ``SVD``, compiled with numba in float32. Ratings are shuffled once
    and then read sequentially each epoch (fewer cache misses than a fresh random order, as
    accurate), and the learning rate decays each epoch, so a large initial rate converges in few
    epochs. The defaults were tuned on MovieLens 1M (see bench/README.md).
    """

    def __init__(self, n_factors: int = 64, n_epochs: int = 30, lr_bias: float = 0.01,
                 lr_factor: float = 0.03, reg_bias: float = 0.02, reg_factor: float = 0.07,
                 lr_decay: float = 0.93, exposure_weight: float = 0.0, exposure_rank: int = 50,
                 init_std: float = 0.05, random_state: int = 0):
        super().__init__()
        self.exposure_weight = exposure_weight
        self.exposure_rank = exposure_rank
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.lr_bias = lr_bias
        self.lr_factor = lr_factor
        self.reg_bias = reg_bias
        self.reg_factor = reg_factor
        self.lr_decay = lr_decay
        self.init_std = init_std
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
        if self.exposure_weight > 0:
            self._append_exposure(users, items)
        return self

    def _append_exposure(self, users: np.ndarray, items: np.ndarray) -> None:
        """Add ``exposure_weight`` x the exposure score to every prediction, as extra factor columns.

        Ranking all unrated items rewards items the user is likely to watch at all, which rating
        error alone does not learn. The exposure score of a user's own rated items is subtracted
        from their bias, so ratings stay calibrated on average; their spread still costs RMSE.
        """
        user_exposure, item_exposure = exposure_factors(users, items, self.trainset.n_users,
                                                        self.trainset.n_items, self.exposure_rank, self.random_state)
        user_exposure *= np.float32(self.exposure_weight)
        rated_exposure = np.einsum("ij,ij->i", user_exposure[users], item_exposure[items])
        mean_rated_exposure = np.bincount(users, weights=rated_exposure) / np.bincount(users)
        self.bu = (self.bu - mean_rated_exposure).astype(np.float32)
        self.pu = np.hstack([self.pu, user_exposure])
        self.qi = np.hstack([self.qi, item_exposure])

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

    def score_users(self, inner_uids: np.ndarray) -> np.ndarray:
        """Predicted ratings of ``inner_uids`` (rows) for every item of the trainset (columns)."""
        return (self.trainset.global_mean + self.bu[inner_uids, None] + self.bi[None, :]
                + self.pu[inner_uids] @ self.qi.T)


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

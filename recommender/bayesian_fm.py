"""A Bayesian factorisation machine with implicit feedback ("Bayesian SVD++ flipped", Rendle, Zhang &
Koren 2019), sampled by ``myfm`` (tohtsky/myFM), as a scikit-surprise ``AlgoBase`` subclass.

Each rating's features are the user, the title, the titles the user rated and the users who rated
the title (each set scaled by 1 / sqrt(its size)), under one shared prior (a prior per feature
group measured slightly worse: 0.8377 against 0.8366 RMSE on one ML-1M split). Which titles
a person chose to rate says much about their taste beyond the stars: on ML-1M it takes the
Bayesian model from 0.846 to about 0.837 RMSE (bench/README.md). ``myfm`` stores the repeated
per-user and per-title parts once (``RelationBlock``), so a fit costs a minute, not an hour.
"""
import contextlib
import io

import myfm
import numpy as np
import scipy.sparse as sp
from myfm import RelationBlock
from surprise import AlgoBase, PredictionImpossible, Trainset

from .mf import trainset_arrays


def _scaled_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    counts = np.diff(matrix.indptr).astype(np.float64)
    return sp.diags(1.0 / np.sqrt(np.maximum(counts, 1.0))) @ matrix


class BayesianFM(AlgoBase):
    """Predicts with the posterior mean over ``n_kept`` Gibbs samples (after ``n_iter - n_kept``
    burn-in sweeps) of each sample's prediction clipped to the rating scale, kept as a dense
    users x titles matrix (float32), as ``recommender.bayesian.BayesianMF`` does."""

    def __init__(self, rank: int = 32, n_iter: int = 100, n_kept: int = 80, random_state: int = 0):
        super().__init__()
        if not 0 < n_kept <= n_iter:
            raise ValueError(f"n_kept must be in 1..n_iter, got {n_kept} of {n_iter}")
        self.rank, self.n_iter, self.n_kept, self.random_state = rank, n_iter, n_kept, random_state

    def fit(self, trainset: Trainset) -> "BayesianFM":
        super().fit(trainset)
        users, items, ratings = trainset_arrays(trainset)
        n_users, n_items = trainset.n_users, trainset.n_items
        rated = sp.csr_matrix((np.ones(len(users)), (users, items)), shape=(n_users, n_items))
        user_features = sp.hstack([sp.identity(n_users), _scaled_rows(rated)]).tocsr()
        item_features = sp.hstack([sp.identity(n_items), _scaled_rows(rated.T.tocsr())]).tocsr()
        model = myfm.MyFMRegressor(rank=self.rank, random_seed=self.random_state)
        with contextlib.redirect_stderr(io.StringIO()):  # myfm always draws a tqdm bar
            model.fit(None, ratings, X_rel=[RelationBlock(users, user_features), RelationBlock(items, item_features)],
                      n_iter=self.n_iter, n_kept_samples=self.n_kept)
        low, high = trainset.rating_scale
        total = np.zeros((n_users, n_items), dtype=np.float32)
        for sample in model.predictor_.samples:
            user_part, user_factors = _block_terms(sample, user_features, 0)
            item_part, item_factors = _block_terms(sample, item_features, user_features.shape[1])
            prediction = (sample.w0 + user_part[:, None] + item_part[None, :] + user_factors @ item_factors.T).astype(np.float32)
            total += np.clip(prediction, low, high, out=prediction)
        self.predictions = total / np.float32(len(model.predictor_.samples))
        return self

    def estimate(self, u, i):
        if not (self.trainset.knows_user(u) and self.trainset.knows_item(i)):
            raise PredictionImpossible("user or item is unknown")
        return float(self.predictions[u, i])

    def score_users(self, inner_uids: np.ndarray) -> np.ndarray:
        """Predicted ratings of ``inner_uids`` for every title (the warm ranking protocol)."""
        return self.predictions[inner_uids]


def _block_terms(sample, features: sp.csr_matrix, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """For one sample, each row's linear and within-block pairwise terms, and its factor sum: an FM
    prediction for (user, title) is w0 + both rows' terms + user factors . title factors."""
    weights = sample.w[offset:offset + features.shape[1]]
    factors = np.asarray(sample.V[offset:offset + features.shape[1]])
    summed = np.asarray(features @ factors)
    within = 0.5 * ((summed**2).sum(axis=1) - np.asarray(features.multiply(features) @ (factors**2)).sum(axis=1))
    return features @ weights + within, summed

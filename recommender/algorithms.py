"""Every rating algorithm StreamRec can train, registered by name.

Each entry builds a scikit-surprise ``AlgoBase`` (``fit(trainset)``, ``predict(uid, iid)``,
``test(testset)``), so ``surprise.model_selection`` evaluates any of them on the same folds.
Algorithms that the site can serve also expose the fitted factors ``bu``, ``bi``, ``pu``, ``qi``,
their ``trainset`` and ``reg_pu`` (see ``recommender.storage.FactorModel.from_algorithm``).
Default parameters are the tuned ones; ``bench/README.md`` has the measurements behind them.
"""
from collections.abc import Callable

import pandas as pd
from surprise import SVD, AlgoBase, Dataset, Reader

from .bayesian import BayesianMF
from .bayesian_fm import BayesianFM
from .mf import BiasedMF

ALGORITHMS: dict[str, Callable[..., AlgoBase]] = {
    "surprise_svd": SVD,
    "biased_mf": BiasedMF,
    "bayesian_mf": BayesianMF,
    "bayesian_fm": BayesianFM,
}

# What the site trains and serves by default (fast, exposes factors), and the most accurate model
# on offer (a Bayesian factorisation machine with implicit feedback: a minute to fit on ML-1M,
# predicts from a users x items matrix, exposes no factors).
PRODUCTION = "biased_mf"
MOST_ACCURATE = "bayesian_fm"


def build(name: str, **params) -> AlgoBase:
    """Instantiate the algorithm registered as ``name`` with ``params``."""
    try:
        factory = ALGORITHMS[name]
    except KeyError:
        raise ValueError(f"unknown algorithm {name!r}; known: {', '.join(sorted(ALGORITHMS))}") from None
    return factory(**params)


def warm_up() -> None:
    """Compile (or load from the on-disk cache) the numba kernels of every registered algorithm on a
    tiny problem, so that no timed fit counts compile time."""
    frame = pd.DataFrame({"user": [0, 0, 1, 1, 2], "item": [0, 1, 0, 2, 1], "rating": [4.0, 3.0, 5.0, 2.0, 1.0]})
    trainset = Dataset.load_from_df(frame, Reader(rating_scale=(1, 5))).build_full_trainset()
    BiasedMF(n_factors=2, n_epochs=1).fit(trainset)
    BayesianMF(n_factors=2, n_samples=1, burn_in=0).fit(trainset)

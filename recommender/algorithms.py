"""Every rating algorithm StreamRec can train, registered by name.

Each entry builds a scikit-surprise ``AlgoBase`` (``fit(trainset)``, ``predict(uid, iid)``,
``test(testset)``), so ``surprise.model_selection`` evaluates any of them on the same folds.
Algorithms that the site can serve also expose the fitted factors ``bu``, ``bi``, ``pu``, ``qi``,
their ``trainset`` and ``reg_pu`` (see ``recommender.storage.FactorModel.from_algorithm``).
Default parameters are the tuned ones; ``bench/README.md`` has the measurements behind them.
"""
from collections.abc import Callable

from surprise import SVD, AlgoBase

from .mf import BayesianMF, BiasedMF

ALGORITHMS: dict[str, Callable[..., AlgoBase]] = {
    "surprise_svd": SVD,
    "biased_mf": BiasedMF,
    "bayesian_mf": BayesianMF,
}

# What the site trains and serves by default (fast, exposes factors), and the most accurate model
# on offer (Bayesian MF: slower to fit, predicts from a users x items matrix, exposes no factors).
PRODUCTION = "biased_mf"
MOST_ACCURATE = "bayesian_mf"


def build(name: str, **params) -> AlgoBase:
    """Instantiate the algorithm registered as ``name`` with ``params``."""
    try:
        factory = ALGORITHMS[name]
    except KeyError:
        raise ValueError(f"unknown algorithm {name!r}; known: {', '.join(sorted(ALGORITHMS))}") from None
    return factory(**params)

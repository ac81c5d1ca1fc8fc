"""Every rating algorithm StreamRec can train, registered by name.

Each entry builds a scikit-surprise ``AlgoBase`` (``fit(trainset)``, ``predict(uid, iid)``,
``test(testset)``), so ``surprise.model_selection`` evaluates any of them on the same folds.
Algorithms that the site can serve also expose the fitted factors ``bu``, ``bi``, ``pu``, ``qi``
and their ``trainset`` (see ``recommender.storage.FactorModel.from_algorithm``).
"""
from collections.abc import Callable

from surprise import SVD, AlgoBase

ALGORITHMS: dict[str, Callable[..., AlgoBase]] = {
    "surprise_svd": SVD,
}

# What the site trains by default, and the most accurate model on offer.
PRODUCTION = "surprise_svd"
MOST_ACCURATE = "surprise_svd"


def build(name: str, **params) -> AlgoBase:
    """Instantiate the algorithm registered as ``name`` with ``params``."""
    try:
        factory = ALGORITHMS[name]
    except KeyError:
        raise ValueError(f"unknown algorithm {name!r}; known: {', '.join(sorted(ALGORITHMS))}") from None
    return factory(**params)

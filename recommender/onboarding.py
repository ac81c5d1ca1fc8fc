"""The onboarding pages' questions in the order that teaches the serving model most about a new
user (``catalog.onboarding.expected_information``: the model's factors, the share of people who
have seen each title). Titles the model does not know, or no model at all: popular first, spread
across genres and decades (``catalog.onboarding.spread``)."""
import numpy as np

from catalog.onboarding import Candidate, expected_information, spread, user_covariance

from .serving import current_model


# The prior over a new user's vector, per model version: the artifact never changes, so neither does it.
_PRIORS: dict[int, np.ndarray] = {}


def prior(model) -> np.ndarray:
    if model.version_id not in _PRIORS:
        _PRIORS.clear()  # one serving version at a time
        _PRIORS[model.version_id] = user_covariance(model.factors.pu)
    return _PRIORS[model.version_id]


def ask_first(candidates: list[Candidate], n: int) -> list:
    """``n`` of the candidates' keys (Titles), the most informative first."""
    model = current_model()
    if model is None:
        return spread(candidates, n)
    known = [c for c in candidates if c.key.pk in model.row_of_title]
    if not known:
        return spread(candidates, n)
    rows = np.array([model.row_of_title[c.key.pk] for c in known])
    raters = max(len(model.factors.user_ids), 1)
    seen_share = np.array([c.count for c in known], dtype=np.float64) / raters
    order = expected_information(np.minimum(seen_share, 1.0), model.factors.qi[rows], prior(model), n)
    picked = [known[index].key for index in order]
    return picked + spread([c for c in candidates if c.key.pk not in model.row_of_title], n - len(picked))

"""Which titles the onboarding pages ask a new user about, in which order: plain functions, so the
site (``discovery.onboarding_titles``) and the simulation bench (``bench/bench_onboarding.py``)
run the same choice.

A question teaches the model something only when the person has seen the title and when the
answer moves what the model believes about them. ``expected_information`` orders titles by
exactly that, from the model's own factors (the "factor variance" approach): the chance a new user
has seen a title (its share of raters) times the information a rating of it gives about the
user's factor vector, log(1 + q' S q / noise), where S is the spread of users' vectors still
unexplained by the titles already asked about. Each pick shrinks S along its own direction, as a
rating would for those who have seen it, so the next question asks about another side of taste
instead of a near copy of the last (the page spreads across tastes without a genre rule).

On ML-1M (bench/README.md) this beat popular-first questions after 10 questions, where Rashid et
al.'s log popularity x entropy ("Getting to know you", IUI 2002) lost to them: it asks about
divisive titles few have seen, and an unanswered question teaches nothing.

``spread`` is the order without a model (popular first, across genres and decades), used until a
model is trained and for titles the model does not know.
"""
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# The variance of a rating around the model's prediction (about RMSE squared on MovieLens): the
# noise a single answer carries.
RATING_NOISE = 0.8


@dataclass(frozen=True)
class Candidate:
    """``key``: what the caller gets back (a Title on the site, an item id in the bench)."""

    key: object
    count: int
    genres: frozenset[str]
    decade: int | None


def spread(candidates: Sequence[Candidate], n: int) -> list:
    """Greedy pick of ``n`` keys, popular first, where each genre and decade already covered counts
    against a title, so the set spreads across tastes and eras (as MovieLens' onboarding does)."""
    genre_hits: Counter = Counter()
    decade_hits: Counter = Counter()
    pool = list(candidates)
    picked = []
    while pool and len(picked) < n:
        def weight(c: Candidate) -> float:
            overlap = sum(genre_hits[g] for g in c.genres) / max(1, len(c.genres))
            return math.log1p(c.count) / (1.0 + overlap) / (1.0 + 0.5 * decade_hits[c.decade])

        best = max(pool, key=weight)
        pool.remove(best)
        picked.append(best.key)
        genre_hits.update(best.genres)
        decade_hits[best.decade] += 1
    return picked


def user_covariance(user_factors: np.ndarray) -> np.ndarray:
    """The covariance of the known users' factor vectors: the prior over a new user's."""
    factors = np.asarray(user_factors, dtype=np.float64)
    if len(factors) < 2:
        return np.eye(factors.shape[1]) if factors.ndim == 2 else np.eye(1)
    return np.atleast_2d(np.cov(factors, rowvar=False))


def expected_information(seen_share: np.ndarray, item_factors: np.ndarray, covariance: np.ndarray, n: int,
                         noise: float = RATING_NOISE) -> list[int]:
    """Indexes of the ``n`` candidates to ask about, in order. ``seen_share[i]``: the share of users
    who rated candidate i; ``item_factors[i]``: its factor vector; ``covariance``: the prior over
    a new user's vector (``user_covariance``)."""
    factors = np.asarray(item_factors, dtype=np.float64)
    if not len(factors):
        return []
    available = np.ones(len(factors), dtype=bool)
    picked: list[int] = []
    for _ in range(min(n, len(factors))):
        variance = np.einsum("ij,jk,ik->i", factors, covariance, factors)
        gain = np.where(available, seen_share * np.log1p(np.maximum(variance, 0.0) / noise), -np.inf)
        best = int(np.argmax(gain))
        picked.append(best)
        available[best] = False
        # The expected posterior after asking: those who have seen it (seen_share) answer.
        along = covariance @ factors[best]
        covariance = covariance - seen_share[best] * np.outer(along, along) / (noise + factors[best] @ along)
    return picked

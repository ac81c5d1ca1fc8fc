"""Stage 4: reranking. The scorer's order finds what a person will watch, and drowns it in the
popular canon: a horror fan who rated eight horror films got Pulp Fiction and The Godfather first.
``CalibratedReranker`` rebuilds the list greedily from a pool of the scorer's best candidates:

- a popularity penalty, ratings rescaled over the pool, weighed by the user's popular <->
  lesser-known dial (Abdollahpouri et al.'s popularity-aware reranking, UMAP 2019/2021; the dial
  after MovieLens' tuner, Harper et al., RecSys 2015);
- genre calibration (after Steck, RecSys 2018): the share of the list's titles that have a genre
  should reach the share of the titles the user liked that have it, so a genre the person
  clearly showed is not drowned by the canon.

Each step adds the candidate that maximises the list's sum of (relevance - penalty x popularity)
minus ``genre_weight`` x the squared shortfalls of the list's genre shares below the user's;
relevance is the scorer's order score rescaled over the pool. The penalty is ``strength`` at the
default dial position and scales with the dial (0: the scorer's order). Chosen on the trade-off
curve that ``bench/bench_rerank.py`` prints (bench/README.md). Steck's own KL divergence between
genre mixes (each title spreading one unit over its genres) was tried first: it favours titles
whose many genres cover the user's mix (Kubrick's films for the horror fan, whose liked titles
were also Sci-Fi and Thriller) over titles of the one genre the person showed, and left the
horror fan 3 horror titles in 10; only shortfalls count, because a list with more of a liked
genre than the history is no failure, and penalising it cost ML-1M NDCG.
"""
from dataclasses import dataclass

import numpy as np

from ratings.models import DEFAULT_NOVELTY

from .types import History, ScoredTitle

# The penalty at the lesser-known end of the dial, as a multiple of the default: far enough to
# change the list, near enough that it still follows the person (NDCG@10 >= 0.7x, bench/README.md).
LESSER_KNOWN = 1.4


@dataclass(frozen=True)
class RerankConfig:
    """``pool``: how many scored candidates the reranker chooses from per title it returns;
    ``strength``: the popularity penalty at the default dial position; ``genre_weight``: genre
    calibration against the rescaled relevance (both 0: the scorer's order, no reranking);
    ``novelty``: where the dial sits for a user who has not moved it (0..1)."""

    pool: int = 10
    strength: float = 0.9
    genre_weight: float = 2.0
    novelty: float = DEFAULT_NOVELTY

    def penalty(self, novelty: float | None) -> float:
        """The popularity penalty at dial position ``novelty`` (None: the default position): from
        0 at the popular end through ``strength`` at the default to ``LESSER_KNOWN`` x ``strength``
        at the lesser-known end, linearly on each side."""
        position = self.novelty if novelty is None else novelty
        if position <= self.novelty:
            return self.strength * position / self.novelty if self.novelty > 0 else self.strength
        return self.strength * (1.0 + (LESSER_KNOWN - 1.0) * (position - self.novelty) / (1.0 - self.novelty))


def miscalibration(target: np.ndarray, counts: np.ndarray, titles: np.ndarray) -> np.ndarray:
    """For each candidate list, the squared distance between the share of its titles that have
    each genre (``counts`` / ``titles``, titles without genres left out) and ``target``, the share
    of the user's liked titles that have it. A list of titles without genres counts as matching."""
    shares = counts / np.maximum(titles, 1)[:, None]
    return np.where(titles > 0, (np.maximum(target - shares, 0.0) ** 2).sum(axis=1), 0.0)


class CalibratedReranker:
    def __init__(self, config: RerankConfig = RerankConfig()):
        self.config = config

    def __call__(self, *, scored: list[ScoredTitle], history: History, n: int, model=None,
                 novelty: float | None = None) -> list[ScoredTitle]:
        facts = getattr(model, "title_facts", None)
        penalty = self.config.penalty(novelty)
        if facts is None or len(scored) <= 1 or not all(s.personalized for s in scored):
            return scored[:n]
        rows = np.array([model.row_of_title[s.title_id] for s in scored])
        gains = relevances(scored) - penalty * popularity(facts.counts[rows])
        target = liked_genres(model, history)
        genres = facts.genre_presence[rows]
        chosen: list[int] = []
        remaining = np.ones(len(rows), dtype=bool)
        has_genres = genres.any(axis=1)
        genre_sum, with_genres, total = np.zeros(genres.shape[1]), 0, 0.0
        for _ in range(min(n, len(rows))):
            objective = total + gains
            if target is not None and self.config.genre_weight > 0:
                objective = objective - self.config.genre_weight * miscalibration(target, genre_sum + genres, with_genres + has_genres)
            objective[~remaining] = -np.inf
            best = int(np.argmax(objective))
            chosen.append(best)
            remaining[best] = False
            genre_sum += genres[best]
            with_genres += int(has_genres[best])
            total += gains[best]
        return [scored[index] for index in chosen]


def popularity(counts: np.ndarray) -> np.ndarray:
    """Each candidate's ratings, rescaled over the pool like the relevance (most popular 1, least
    0), so one strength means the same on a sparse and a dense catalog. Linear in ratings, as ARP
    is: the penalty falls hardest on the few blockbusters that make lists alike, and hardly
    separates two lesser-known titles (log(1 + ratings) did the opposite, and on ML-1M cost more
    new users' NDCG for the same drop in ARP: bench/README.md). A title nobody had rated when the
    model was trained (placed by its content) counts as the pool's median: no evidence either way,
    where the least popular would push every new title to the top of everybody's list."""
    counts = np.asarray(counts, dtype=np.float64)
    rated = counts > 0
    if rated.any() and not rated.all():
        counts = np.where(rated, counts, np.median(counts[rated]))
    spread = counts.max() - counts.min()
    return (counts - counts.min()) / spread if spread > 0 else np.zeros(len(counts))


def relevances(scored: list[ScoredTitle]) -> np.ndarray:
    """The scorer's order scores rescaled so the pool's best is 1 and its worst 0: a title that
    scored nearly as well as the best costs little to prefer (Steck uses the scores likewise)."""
    scores = np.array([s.order for s in scored], dtype=np.float64)
    spread = scores.max() - scores.min()
    return (scores - scores.min()) / spread if spread > 0 else np.ones(len(scores))


def liked_genres(model, history: History) -> np.ndarray | None:
    """The share of the titles the user liked (all they rated when they liked none) that have each
    genre; None when the model knows none of them or they have no genres."""
    liked = history.liked_ids() or list(history.ratings)
    rows = np.array([model.row_of_title[t] for t in liked if t in model.row_of_title], dtype=np.int64)
    if not len(rows):
        return None
    presence = model.title_facts.genre_presence[rows]
    return presence.mean(axis=0) if presence.any() else None

"""Beyond-accuracy measures of top-N lists: how popular, novel, varied, personal and calibrated they
are. Accuracy on a random split rewards recommending the popular canon; these see it.

Each function takes the lists as a users x N array of item indices (-1 where a list is shorter) and
the items' facts (``ItemFacts``: training rating counts, genres). Elliot (Anelli et al., SIGIR 2021,
sisinflab/elliot) reports most of them under the same definitions.
"""
from dataclasses import dataclass
from functools import cached_property
from itertools import chain

import numpy as np
from scipy.sparse import csr_matrix

# The short head: the most-rated 20 % of items (Abdollahpouri, Burke & Mobasher, FLAIRS 2019).
HEAD_SHARE = 0.2
# Users whose pairwise overlaps are computed at once (a block x users float array).
OVERLAP_BLOCK = 1000
# Steck's smoothing of the list's genre mix towards the history's (RecSys 2018).
CALIBRATION_ALPHA = 0.01


@dataclass(frozen=True)
class ItemFacts:
    """What the measures know about the items of one training fold, by inner item index."""

    counts: np.ndarray  # ratings per item in the training data
    n_users: int  # users in the training data
    genres: csr_matrix | None = None  # items x genres, 1 where the item has the genre

    @classmethod
    def build(cls, counts: np.ndarray, n_users: int, item_genres: list[tuple[str, ...]] | None = None) -> "ItemFacts":
        """``item_genres[i]`` names item i's genres (None: genres are unknown, those measures are None)."""
        if item_genres is None:
            return cls(np.asarray(counts, dtype=np.float64), n_users)
        return cls(np.asarray(counts, dtype=np.float64), n_users, genre_matrix(item_genres)[1])

    @cached_property
    def long_tail(self) -> np.ndarray:
        """True for items outside the most-rated ``HEAD_SHARE`` of items."""
        head = int(np.ceil(HEAD_SHARE * len(self.counts)))
        tail = np.ones(len(self.counts), dtype=bool)
        tail[np.argsort(-self.counts, kind="stable")[:head]] = False
        return tail


    @cached_property
    def genre_presence(self) -> np.ndarray:
        """items x genres: 1 where the item has the genre (zeros without genres)."""
        if self.genres is None:
            return np.zeros((len(self.counts), 0))
        return (self.genres.toarray() > 0).astype(np.float64)

    @cached_property
    def genre_shares(self) -> np.ndarray:
        """items x genres: each item spreads one unit evenly over its genres (Steck 2018)."""
        genres = self.genres.toarray()
        return genres / np.maximum(genres.sum(axis=1, keepdims=True), 1.0)


def genre_matrix(item_genres: list[tuple[str, ...]]) -> tuple[list[str], csr_matrix]:
    """(sorted genre names, items x genres 0/1 matrix) of each item's genre names."""
    names = sorted(set(chain.from_iterable(item_genres)))
    column = {name: index for index, name in enumerate(names)}
    indices = [column[name] for genres in item_genres for name in dict.fromkeys(genres)]
    indptr = np.cumsum([0] + [len(dict.fromkeys(genres)) for genres in item_genres])
    matrix = csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(item_genres), len(names)))
    return names, matrix


def _members(lists: np.ndarray, n_items: int) -> csr_matrix:
    """users x items, 1 where the item is in the user's list."""
    rows, positions = np.nonzero(lists >= 0)
    return csr_matrix((np.ones(len(rows)), (rows, lists[rows, positions])), shape=(len(lists), n_items))


def coverage(lists: np.ndarray, facts: ItemFacts) -> float:
    """Catalog coverage: the share of items in at least one list (Herlocker et al., TOIS 2004)."""
    return len(np.unique(lists[lists >= 0])) / len(facts.counts)


def novelty(lists: np.ndarray, facts: ItemFacts) -> float:
    """Mean self-information of a recommended item, -log2(share of users who rated it), averaged
    over lists (Zhou et al., PNAS 2010). An item nobody rated counts as rated by one user."""
    information = -np.log2(np.maximum(facts.counts, 1.0) / facts.n_users)
    return _mean_over_lists(lists, information)


def average_popularity(lists: np.ndarray, facts: ItemFacts) -> float:
    """ARP: the mean number of training ratings of a list's items, averaged over lists
    (Abdollahpouri, Burke & Mobasher, FLAIRS 2019)."""
    return _mean_over_lists(lists, facts.counts)


def long_tail_share(lists: np.ndarray, facts: ItemFacts) -> float:
    """APLT: the mean share of a list's items that are in the long tail (outside the most-rated
    20 %; Abdollahpouri, Burke & Mobasher, FLAIRS 2019)."""
    return _mean_over_lists(lists, facts.long_tail.astype(np.float64))


def _mean_over_lists(lists: np.ndarray, values: np.ndarray) -> float:
    present = lists >= 0
    sums = np.where(present, values[np.maximum(lists, 0)], 0.0).sum(axis=1)
    lengths = present.sum(axis=1)
    return float(np.mean(sums[lengths > 0] / lengths[lengths > 0]))


def intra_list_diversity(lists: np.ndarray, facts: ItemFacts) -> float | None:
    """1 - the mean pairwise genre Jaccard similarity of a list's items, averaged over lists
    (Ziegler et al., WWW 2005, with Jaccard on genres as the item similarity)."""
    if facts.genres is None:
        return None
    genres = facts.genres.toarray().astype(bool)
    diversities = []
    for row in lists:
        items = row[row >= 0]
        if len(items) < 2:
            continue
        chosen = genres[items].astype(np.float64)
        shared = chosen @ chosen.T
        sizes = chosen.sum(axis=1)
        union = sizes[:, None] + sizes[None, :] - shared
        similarity = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
        upper = np.triu_indices(len(items), 1)
        diversities.append(1.0 - similarity[upper].mean())
    return float(np.mean(diversities)) if diversities else None


def inter_user_overlap(lists: np.ndarray, facts: ItemFacts) -> float:
    """The mean Jaccard similarity of two users' lists over all pairs of users (1 - Zhou et al.'s
    personalisation, PNAS 2010): 1 when everybody gets the same list, 0 when no two lists share.
    Summed a block of ``OVERLAP_BLOCK`` users at a time, so memory stays linear in the users."""
    members = _members(lists, len(facts.counts))
    n_users = members.shape[0]
    if n_users < 2:
        return 0.0
    sizes = np.asarray(members.sum(axis=1)).ravel()
    by_item = members.T.tocsr()
    total = 0.0
    for start in range(0, n_users, OVERLAP_BLOCK):
        stop = min(start + OVERLAP_BLOCK, n_users)
        shared = (members[start:stop] @ by_item).toarray()
        union = sizes[start:stop, None] + sizes[None, :] - shared
        similarity = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
        later = np.arange(n_users)[None, :] > np.arange(start, stop)[:, None]  # each pair once
        total += similarity[later].sum()
    return float(total / (n_users * (n_users - 1) / 2))


def genre_mix(items: csr_matrix, facts: ItemFacts) -> np.ndarray:
    """Each row's genre distribution over the items it marks (``ItemFacts.genre_shares``)."""
    mix = np.asarray(items @ facts.genre_shares)
    totals = mix.sum(axis=1, keepdims=True)
    return np.divide(mix, totals, out=np.zeros_like(mix), where=totals > 0)


def miscalibration(lists: np.ndarray, histories: csr_matrix, facts: ItemFacts,
                   alpha: float = CALIBRATION_ALPHA) -> float | None:
    """KL(p || q~) between the genre mix p of a user's history and q~ = (1 - alpha) q + alpha p,
    q the mix of their list, averaged over users (Steck, RecSys 2018): 0 when the list's genres
    follow the history's. ``histories``: users x items, non-zero where the user rated the item."""
    if facts.genres is None:
        return None
    history = genre_mix((histories != 0).astype(np.float64), facts)
    listed = genre_mix(_members(lists, len(facts.counts)), facts)
    smoothed = (1 - alpha) * listed + alpha * history
    terms = np.where(history > 0, history * np.log(np.where(history > 0, history, 1.0) / np.where(smoothed > 0, smoothed, 1.0)), 0.0)
    known = history.sum(axis=1) > 0
    return float(terms.sum(axis=1)[known].mean()) if known.any() else None


def long_tail_ndcg(lists: np.ndarray, relevant: csr_matrix, facts: ItemFacts) -> float | None:
    """NDCG@N counting only long-tail relevant items, over users with one (Abdollahpouri et al.'s
    long-tail accuracy): whether the list finds the lesser-known titles a user likes."""
    tail_relevant = relevant.multiply(facts.long_tail[None, :]).tocsr()
    tail_relevant.eliminate_zeros()  # multiply keeps the head items' entries as stored zeros
    n_relevant = np.diff(tail_relevant.indptr)
    users = np.flatnonzero(n_relevant)
    if not len(users):
        return None
    chosen = lists[users]
    present = chosen >= 0
    hits = np.take_along_axis(tail_relevant[users].toarray() > 0, np.maximum(chosen, 0), axis=1) & present
    discounts = 1.0 / np.log2(np.arange(2, lists.shape[1] + 2))
    ideal = np.cumsum(discounts)[np.minimum(n_relevant[users], lists.shape[1]) - 1]
    return float(((hits * discounts).sum(axis=1) / ideal).mean())


def list_measures(lists: np.ndarray, histories: csr_matrix, relevant: csr_matrix,
                  facts: ItemFacts) -> dict[str, float | None]:
    """Every measure above for one set of lists, by the names the tables use. ``histories`` and
    ``relevant``: users x items, what each user rated before and their relevant test items."""
    return {
        "tail_ndcg": long_tail_ndcg(lists, relevant, facts),
        "coverage": coverage(lists, facts),
        "novelty": novelty(lists, facts),
        "arp": average_popularity(lists, facts),
        "aplt": long_tail_share(lists, facts),
        "diversity": intra_list_diversity(lists, facts),
        "overlap": inter_user_overlap(lists, facts),
        "miscalibration": miscalibration(lists, histories, facts),
    }

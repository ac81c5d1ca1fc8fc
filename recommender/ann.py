"""Approximate top-N for big catalogs: a faiss IVF index over the vectors that make the order score.

A title's order score for a user is ``order_base[i] + order_factors[i] . v`` (``serving.LoadedModel``:
ranking ALS, the rating factors and the EASE neighbour term in one row), so it is one inner product
between ``x_i = [order_factors[i], order_base[i]]`` and ``q = [v, 1]``. The index finds the largest
inner products as nearest neighbours in L2 after the reduction of Bachrach et al. (RecSys 2014):
every title gets one more coordinate ``sqrt(M^2 - |x_i|^2)`` (``M`` the largest norm) and the query
a 0 there, so ``|q' - x_i'|^2 = |q|^2 + M^2 - 2 q . x_i``: the nearest title is the best scored one.
The index therefore retrieves on the whole order score, not on one of its parts; what it can miss
is a title in a cell it did not probe (IVF: ``settings.ANN_NPROBE`` of about sqrt(titles) cells),
or one whose 4-bit product-quantizer code ranked it below the candidates fetched. Candidates are
then scored exactly, in float32 by the same arithmetic as the exact scan.

Filters and exclusions hold exactly: every candidate is checked against the allowed title ids and
the user's rated titles. A broad filter is applied by fetching 1 / (the share of titles it keeps)
times more candidates; a narrow one inside the index scan, as a bitmap of its rows. When fewer than
``n`` candidates survive, or even the bitmap path would need too many, the exact scan
(``scoring.top_rows``) answers instead.

Invalidation: an index belongs to one artifact. Training builds it from the artifact's own arrays
when the catalog has at least ``settings.ANN_MIN_TITLES`` titles; it is stored beside the artifact
and its SHA-256 is recorded inside the artifact (``recommender.storage``), so a version serves its
own index or nothing. A derived version (titles placed by content) builds a new one.
"""
import math
from dataclasses import dataclass

import faiss
import numpy as np

from . import scoring

# How many candidates to fetch, measured on the synthetic catalogs of bench/bench_ann.py: the 4-bit
# codes blur close scores, so the exact top-10 is among the index's best MIN_FETCH or so (rescoring
# them exactly costs a fraction of a millisecond). Under a filter, MIN_SURVIVORS (or OVERFETCH per
# title wanted) allowed titles are enough, fetched as that many divided by the share it keeps.
MIN_FETCH = 2000
MIN_SURVIVORS = 500
OVERFETCH = 20
# A filter is applied by fetching 1 / (the share of titles it keeps) times more candidates and
# dropping the others, up to this many; a narrower filter is applied inside the index scan (a
# bitmap of its rows, cheap to make because it keeps few titles). Above this many even then, the
# exact scan answers.
MAX_FETCH = 25_000
# Cells per sqrt(titles): 1M titles -> 1,000 cells of about 1,000 titles.
CELLS_PER_SQRT_TITLES = 1
# Training sample per cell (faiss warns below 39).
TRAINING_POINTS_PER_CELL = 50


def index_width(width: int) -> int:
    """The index's dimension for order rows ``width`` wide: the base and the reduction's coordinate
    added, padded with zeros to a multiple of 16 (faiss's SIMD distance kernels need it)."""
    return -(-(width + 2) // 16) * 16


def item_vectors(order_factors: np.ndarray, order_base: np.ndarray, start: int, stop: int, max_norm: float) -> np.ndarray:
    """Rows ``start:stop`` of the titles' L2-reduced vectors ``[order_factors, order_base, sqrt(M^2 - |x|^2), 0...]``."""
    width = order_factors.shape[1]
    block = np.zeros((stop - start, index_width(width)), dtype=np.float32)
    block[:, :width] = order_factors[start:stop]
    block[:, width] = order_base[start:stop]
    squared = np.einsum("ij,ij->i", block[:, :width + 1], block[:, :width + 1])
    block[:, width + 1] = np.sqrt(np.maximum(max_norm * max_norm - squared, 0.0))
    return block


def build_index(order_factors: np.ndarray, order_base: np.ndarray, seed: int = 0, block: int = 100_000) -> faiss.Index:
    """An IVF index with 4-bit PQ codes over the L2-reduced title vectors (row number = id).
    Added in blocks, so building never holds a second full-precision copy of the catalog."""
    n_titles, width = order_factors.shape
    max_norm = 0.0
    for start in range(0, n_titles, block):
        stop = min(start + block, n_titles)
        part = order_factors[start:stop]
        norms = np.einsum("ij,ij->i", part, part) + order_base[start:stop].astype(np.float32) ** 2
        max_norm = max(max_norm, float(np.sqrt(norms.max())))
    cells = max(1, min(int(CELLS_PER_SQRT_TITLES * math.sqrt(n_titles)), n_titles // 39 or 1))
    dim = index_width(width)
    # IVF cells over 4-bit product-quantizer codes (two coordinates per sub-quantizer) scanned with
    # SIMD lookups ("fast scan"): 104 bytes a title at the production width.
    index = faiss.index_factory(dim, f"IVF{cells},PQ{dim // 2}x4fs", faiss.METRIC_L2)
    sample = np.random.default_rng(seed).choice(n_titles, size=min(n_titles, cells * TRAINING_POINTS_PER_CELL), replace=False)
    sample.sort()
    faiss.extract_index_ivf(index).cp.seed = seed
    index.train(item_vectors(order_factors[sample], order_base[sample], 0, len(sample), max_norm))
    for start in range(0, n_titles, block):
        index.add(item_vectors(order_factors, order_base, start, min(start + block, n_titles), max_norm))
    return index


def serialize(index: faiss.Index) -> bytes:
    return faiss.serialize_index(index).tobytes()


def deserialize(data: bytes) -> faiss.Index:
    return faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))


def members(allowed_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Whether each of ``ids`` is among the sorted ``allowed_ids``. A few ids are looked up by
    binary search; many through a mask indexed by id (title ids are database keys, so dense), which
    costs one byte per id up to the largest."""
    if not len(allowed_ids) or not len(ids):
        return np.zeros(len(ids), dtype=np.bool_)
    if len(ids) * 16 < len(allowed_ids):
        at = np.minimum(np.searchsorted(allowed_ids, ids), len(allowed_ids) - 1)
        return allowed_ids[at] == ids
    by_id = np.zeros(max(int(allowed_ids[-1]), int(ids.max())) + 1, dtype=np.bool_)
    by_id[allowed_ids[allowed_ids >= 0]] = True
    return by_id[ids]


@dataclass
class OrderIndex:
    """A loaded index with how many cells a query probes (``settings.ANN_NPROBE``)."""

    index: faiss.Index
    nprobe: int

    def __post_init__(self):
        self.nprobe = min(self.nprobe, faiss.extract_index_ivf(self.index).nlist)

    def candidates(self, vector: np.ndarray, k: int, mask: np.ndarray | None = None) -> np.ndarray:
        """Row numbers of (about) the ``k`` best scored titles for the order ``vector``, best first;
        only rows where ``mask`` is True when it is given."""
        query = np.zeros((1, self.index.d), dtype=np.float32)
        query[0, :len(vector)] = vector
        query[0, len(vector)] = 1.0
        bitmap = None if mask is None else np.packbits(mask, bitorder="little")  # alive while faiss reads it
        selector = None if bitmap is None else faiss.IDSelectorBitmap(bitmap)
        _, labels = self.index.search(query, k, params=faiss.SearchParametersIVF(nprobe=self.nprobe, sel=selector))
        found = labels[0]
        return found[found >= 0]


@dataclass(frozen=True)
class Answer:
    """The best rows, and which path chose them (``index`` or ``exact``: the fallback)."""

    rows: np.ndarray
    path: str


def top_rows(order_index: OrderIndex, order_factors: np.ndarray, order_base: np.ndarray, vector: np.ndarray,
             excluded: np.ndarray, n: int, title_ids: np.ndarray, allowed_ids: np.ndarray | None = None) -> Answer:
    """The ``n`` best rows by ``order_base + order_factors @ vector``, never an ``excluded`` row and,
    when ``allowed_ids`` (sorted title ids) is given, only titles among them; as
    ``scoring.top_rows`` (best first, ties: lower row first), through the index when enough
    candidates survive the filters, else by the exact scan."""
    n_titles = len(order_base)
    share = 1.0 if allowed_ids is None else len(allowed_ids) / max(n_titles, 1)
    survivors = max(MIN_SURVIVORS, OVERFETCH * n) + len(excluded)
    mask = None
    if share <= 0:
        fetch = MAX_FETCH + 1
    elif survivors / share <= MAX_FETCH:
        fetch = max(MIN_FETCH + len(excluded), math.ceil(survivors / share))
    else:
        mask = members(allowed_ids, title_ids)  # the index only returns allowed rows
        fetch = max(MIN_FETCH, survivors)
    if fetch <= MAX_FETCH:
        rows = order_index.candidates(vector, fetch, mask)
        keep = ~np.isin(rows, excluded) if len(excluded) else np.ones(len(rows), dtype=np.bool_)
        if allowed_ids is not None:
            keep &= members(allowed_ids, title_ids[rows])
        rows = rows[keep]
        if len(rows) >= n:
            scores = order_base[rows] + order_factors[rows] @ vector
            order = np.lexsort((rows, -scores))[:n]
            return Answer(rows[order], "index")
    if allowed_ids is not None and mask is None:
        mask = members(allowed_ids, title_ids)
    return Answer(scoring.top_rows(order_factors, order_base, vector, excluded,
                                   np.zeros(0, dtype=np.bool_) if mask is None else mask, n), "exact")

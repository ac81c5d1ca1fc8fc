"""Serving: the loaded model of this process, user fold-in and vectorised top-N scoring.

Each process loads the serving version's artifact once and keeps it while that version serves.
Which version serves is read from the shared cache (``streamrec.cache.SERVING_VERSION``), which an
activation sets when it commits: every process serves a new version from its next request. The
artifact is immutable and versioned, so every process that loads version N serves the same model.
"""
import logging
import threading
import time
from dataclasses import dataclass, field, replace

import numpy as np
from django.conf import settings
from scipy.sparse import csr_matrix

from streamrec.cache import MISSING, serving_version_id

from . import ann, likeness, neighbours, ranking, scoring, services, storage
from .beyond_accuracy import ItemFacts
from .models import ModelVersion
from .selectors import fallback_versions, serving_version

logger = logging.getLogger(__name__)

# Fold-in ridge penalty: the model's own per-rating regularisation scaled by the number of
# ratings, plus a floor that keeps a vector learnt from three ratings from over-fitting them.
FOLD_IN_REG_FLOOR = 3.0


@dataclass
class LoadedModel:
    version_id: int
    factors: storage.FactorModel
    row_of_title: dict[int, int] = field(repr=False)
    # Item factors scaled to unit length: cosine similarity between titles is one matrix product.
    unit_qi: np.ndarray = field(repr=False)
    # Scoring every title reads the whole item matrix per request; single precision halves that.
    # ``order_factors`` holds each title's [ranking_qi | qi | neighbour_qi] in one row (the parts
    # the artifact has), so the top-N order is one pass: order_factors @ [ranking vector |
    # ranking_weight x user vector | neighbour vector] + ``order_base``. ``qi32`` is a view of its
    # columns, ``ranking_qi32`` a contiguous copy of others.
    order_factors: np.ndarray = field(repr=False)
    qi32: np.ndarray = field(repr=False)
    item_base32: np.ndarray = field(repr=False)
    # The constant part of each title's order score: ranking_bi + ranking_weight x (mu + bi) (the
    # user's bias shifts every title alike and drops out of the order), or mu + bi without a
    # ranking model.
    order_base: np.ndarray = field(repr=False)
    # The ranking model's item factors and ranking_qi^T ranking_qi + reg I, so a fold-in only
    # touches the user's own titles. None when the artifact has no ranking model (titles rank by
    # predicted rating).
    ranking_qi32: np.ndarray | None = field(default=None, repr=False)
    ranking_gram: np.ndarray | None = field(default=None, repr=False)
    # The rows summed into a user's neighbour vector (``recommender.neighbours``); None without.
    neighbour_basis: np.ndarray | None = field(default=None, repr=False)
    # Each title's genres and popularity for the reranker; None for artifacts without them.
    title_facts: ItemFacts | None = field(default=None, repr=False)
    # Each title's content row for "more like this" (``recommender.likeness``); None without.
    content: csr_matrix | None = field(default=None, repr=False)
    # The approximate top-N index (``recommender.ann``) of a big catalog; None: every top-N scans.
    order_index: ann.OrderIndex | None = field(default=None, repr=False)

    @classmethod
    def from_factors(cls, version_id: int, factors: storage.FactorModel) -> "LoadedModel":
        scoring.warm_up()
        norms = np.linalg.norm(factors.qi, axis=1, keepdims=True)
        item_base32 = (factors.global_mean + factors.bi).astype(np.float32)
        order_factors, order_base = order_arrays(factors)
        arrays = {"order_base": order_base}
        width = 0
        if factors.has_ranking:
            width = factors.ranking_qi.shape[1]
            arrays["ranking_gram"] = ranking.regularised_gram(factors.ranking_qi, factors.ranking_reg)
        if factors.has_title_facts:
            genres = csr_matrix((np.ones(len(factors.genre_indices)), factors.genre_indices, factors.genre_indptr),
                                shape=(len(factors.title_ids), len(factors.genre_names)))
            arrays["title_facts"] = ItemFacts(np.asarray(factors.title_counts, dtype=np.float64), len(factors.user_ids), genres)
        arrays["content"] = likeness.content_rows(factors, arrays["title_facts"].genres if "title_facts" in arrays else None)
        if factors.has_neighbours:
            arrays["neighbour_basis"] = np.asarray(factors.neighbour_basis, dtype=np.float64)
        if factors.order_index is not None:
            arrays["order_index"] = ann.OrderIndex(ann.deserialize(factors.order_index), settings.ANN_NPROBE)
            factors = replace(factors, order_index=None)  # faiss holds it now: no second copy of its bytes
        if factors.has_ranking:
            # A copy, not a view of ``order_factors``: the fold-in kernel is compiled (at set-up,
            # ``scoring.warm_up``) for contiguous arrays, and a strided view would make numba
            # compile another version inside the first request that folds a user in (17 s).
            arrays["ranking_qi32"] = np.ascontiguousarray(order_factors[:, :width])
        return cls(
            version_id,
            factors,
            {int(title_id): row for row, title_id in enumerate(factors.title_ids)},
            (factors.qi / np.where(norms > 0, norms, 1.0)).astype(np.float32),
            order_factors=order_factors,
            qi32=order_factors[:, width:width + factors.qi.shape[1]],
            item_base32=item_base32,
            **arrays,
        )

    def similar(self, title_id: int, n: int, config: likeness.LikenessConfig = likeness.LikenessConfig(),
                allowed_title_ids=None) -> list[tuple[int, float]]:
        """The ``n`` titles most like ``title_id`` in their factors and their content
        (``recommender.likeness``), as (title id, likeness), among ``allowed_title_ids`` when given
        (a person's services)."""
        row = self.row_of_title.get(title_id)
        if row is None or n <= 0:
            return []
        similarity = likeness.likeness(self.unit_qi, self.content, row, config)
        similarity[row] = -np.inf
        if allowed_title_ids is not None:
            similarity[~np.isin(self.factors.title_ids, np.asarray(allowed_title_ids, dtype=np.int64))] = -np.inf
        k = min(n, len(similarity) - 1)
        if k <= 0:
            return []
        best = np.argpartition(-similarity, k - 1)[:k]
        best = best[np.argsort(-similarity[best], kind="stable")]
        return [(int(self.factors.title_ids[r]), float(similarity[r])) for r in best if similarity[r] > -np.inf]

    def predict_one(self, scores: dict[int, float], title_id: int) -> float | None:
        row = self.row_of_title.get(title_id)
        folded = self.fold_in(scores) if row is not None else None
        if folded is None:
            return None
        user_bias, user_vector = folded
        f = self.factors
        return float(np.clip(f.global_mean + user_bias + f.bi[row] + f.qi[row] @ user_vector, 0.5, 5.0))

    def rated(self, scores: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
        """The model rows of the rated titles it knows, and their scores."""
        known = [(self.row_of_title[title_id], score) for title_id, score in scores.items() if title_id in self.row_of_title]
        rows = np.fromiter((row for row, _ in known), dtype=np.int64, count=len(known))
        return rows, np.fromiter((score for _, score in known), dtype=np.float64, count=len(known))

    def fold_in(self, scores: dict[int, float]) -> tuple[float, np.ndarray] | None:
        """Fit a user bias and vector to ``scores`` against the fixed item factors (ridge regression)."""
        return self._fold_in(*self.rated(scores))

    def fold_in_penalty(self, n_rated: int) -> float:
        """The ridge penalty of a rating fold-in from ``n_rated`` ratings."""
        return FOLD_IN_REG_FLOOR + self.factors.reg * n_rated

    def _fold_in(self, rows: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray] | None:
        if not len(rows):
            return None
        f = self.factors
        return scoring.fold_in_rating(f.qi, f.bi, f.global_mean, self.fold_in_penalty(len(rows)), rows, targets)

    def predict_all(self, scores: dict[int, float]) -> np.ndarray | None:
        """Predicted score of every title in the model for a user with these ratings."""
        folded = self.fold_in(scores)
        if folded is None:
            return None
        user_bias, user_vector = folded
        predicted = self.qi32 @ user_vector.astype(np.float32)
        predicted += self.item_base32
        predicted += np.float32(user_bias)
        return np.clip(predicted, 0.5, 5.0, out=predicted)

    def ranking_vector(self, scores: dict[int, float]) -> np.ndarray | None:
        """The user's ranking vector folded in from their rated titles against the fixed
        ``ranking_qi`` (closed form, see ``recommender.ranking``); None without a ranking model."""
        return self._ranking_vector(*self.rated(scores))

    def _ranking_vector(self, rows: np.ndarray, targets: np.ndarray) -> np.ndarray | None:
        if self.ranking_gram is None or not len(rows):
            return None
        return ranking.fold_in(self.ranking_qi32, self.ranking_gram, rows, targets, self.factors.ranking_alpha)

    def top_n(self, scores: dict[int, float], n: int, allowed_title_ids=None) -> list[tuple[int, float]]:
        """The ``n`` best (title id, predicted rating) pairs, never a title in ``scores`` (``ranked``)."""
        return [(title_id, stars) for title_id, stars, _ in self.ranked(scores, n, allowed_title_ids)]

    def ranked(self, scores: dict[int, float], n: int, allowed_title_ids=None) -> list[tuple[int, float, float]]:
        """The ``n`` best (title id, predicted rating, order score) triples, never a title in ``scores``.

        Titles are ordered by the ranking score (the ranking model's score plus ``ranking_weight`` x
        the predicted rating), or by predicted rating without a ranking model, plus the neighbour
        term of the titles the user liked when the model has one; the value returned is
        the predicted rating, the stars shown to the user (computed for the chosen titles only).
        ``allowed_title_ids`` restricts candidates (filters, active titles) when given.
        """
        rows, targets = self.rated(scores)
        folded = self._fold_in(rows, targets)
        if folded is None or n <= 0:
            return []
        user_bias, user_vector = folded
        ranking_vector = self._ranking_vector(rows, targets)
        if ranking_vector is None:
            parts = [user_vector]
        else:
            parts = [ranking_vector, self.factors.ranking_weight * user_vector]
        if self.neighbour_basis is not None:
            parts.append(neighbours.user_vector(self.neighbour_basis, rows, targets, self.factors.neighbour_min_rating))
        order_vector = np.concatenate(parts)
        allowed_ids = None
        if allowed_title_ids is not None:
            allowed_ids = np.asarray(allowed_title_ids, dtype=np.int64)
            if np.any(allowed_ids[1:] < allowed_ids[:-1]):  # candidates come sorted; other callers may not
                allowed_ids = np.sort(allowed_ids)
        best = self.best_rows(order_vector.astype(np.float32), rows, allowed_ids, n)
        stars = self.item_base32[best] + np.float32(user_bias) + self.qi32[best] @ user_vector.astype(np.float32)
        np.clip(stars, 0.5, 5.0, out=stars)
        order = self.order_base[best] + self.order_factors[best] @ order_vector.astype(np.float32)
        return [(int(self.factors.title_ids[row]), float(star), float(score))
                for row, star, score in zip(best, stars, order, strict=True)]

    def best_rows(self, order_vector: np.ndarray, excluded: np.ndarray, allowed_ids: np.ndarray | None, n: int) -> np.ndarray:
        """The ``n`` best rows by order score, never an ``excluded`` row, only titles in the sorted
        ``allowed_ids`` when given: through the index when the model has one, else the exact scan."""
        if self.order_index is not None:
            return ann.top_rows(self.order_index, self.order_factors, self.order_base, order_vector, excluded, n,
                                self.factors.title_ids, allowed_ids).rows
        allowed = np.zeros(0, dtype=np.bool_) if allowed_ids is None else ann.members(allowed_ids, self.factors.title_ids)
        return scoring.top_rows(self.order_factors, self.order_base, order_vector, excluded, allowed, n)


def order_arrays(factors: storage.FactorModel) -> tuple[np.ndarray, np.ndarray]:
    """Each title's order row [ranking_qi | qi | neighbour_qi] (the parts the artifact has) in
    single precision, and the constant part of its order score (see ``LoadedModel``)."""
    parts = [factors.qi]
    order_base = factors.global_mean + factors.bi
    if factors.has_ranking:
        parts.insert(0, factors.ranking_qi)
        order_base = factors.ranking_bi + factors.ranking_weight * (factors.global_mean + factors.bi)
    if factors.has_neighbours:
        parts.append(factors.neighbour_qi)
    return np.ascontiguousarray(np.hstack(parts), dtype=np.float32), np.asarray(order_base, dtype=np.float32)


_lock = threading.Lock()
_loaded: LoadedModel | None = None
# A serving version whose artifact failed its check is not read again on every request: this
# process keeps what it chose instead (an older intact version, or None for popular titles) and
# checks the artifact again after ARTIFACT_RETRY_SECONDS (it may have been restored).
ARTIFACT_RETRY_SECONDS = 60.0
# serving version pk -> (monotonic time of the next check, pk of the version loaded instead or None)
_broken: dict[int, tuple[float, int | None]] = {}


def load_version(version: ModelVersion) -> LoadedModel:
    factors = storage.load(version.artifact_path, version.artifact_sha256)
    return LoadedModel.from_factors(version.pk, factors)


def warm_up_process() -> None:
    """Load the compiled kernels (numba's disk cache, filled at set-up by ``manage.py train``) and the
    serving model into this process before it serves: a web worker calls it at start."""
    scoring.warm_up()
    current_model()


def forget() -> None:
    """Drop what this process loaded (tests; a process that must re-read everything)."""
    global _loaded
    with _lock:
        _loaded = None
        _broken.clear()


def _serving_version_pk() -> int | None:
    version = serving_version()
    return version.pk if version is not None else None


def _chosen_instead(version_pk: int, loaded: LoadedModel | None) -> bool:
    """Whether ``loaded`` is what this process chose for the broken serving version ``version_pk``
    and it is not yet time to check that version's artifact again."""
    broken = _broken.get(version_pk)
    if broken is None or time.monotonic() >= broken[0]:
        return False
    return (loaded.version_id if loaded is not None else None) == broken[1]


def current_model(version_entry=MISSING) -> LoadedModel | None:
    """The serving version's model, loaded once per process; None when no version can serve.
    ``version_entry``: the cache's serving-version entry when the caller already read it.

    When the serving artifact is missing or corrupted (checksum), the newest older ready version
    whose artifact is intact serves instead (with none, popular titles are shown); the error is
    logged and recorded on the version, where staff see it (staff models page, admin).
    """
    global _loaded
    version_pk = serving_version_id(_serving_version_pk, version_entry)
    loaded = _loaded
    if version_pk is None:
        return None
    if loaded is not None and loaded.version_id == version_pk:
        return loaded
    if _chosen_instead(version_pk, loaded):
        return loaded
    version = ModelVersion.objects.filter(pk=version_pk, status=ModelVersion.Status.READY).first()
    if version is None:  # deleted, or no longer ready, since the cache was told
        return None
    with _lock:
        if _loaded is not None and _loaded.version_id == version.pk:
            return _loaded
        if _chosen_instead(version.pk, _loaded):
            return _loaded
        chosen = None
        for candidate in [version, *fallback_versions(version)]:
            if _loaded is not None and _loaded.version_id == candidate.pk:
                chosen = _loaded  # already in memory (checked when it was loaded)
                break
            try:
                chosen = load_version(candidate)
            except storage.ArtifactError as error:
                logger.exception("cannot load model v%s", candidate.pk)
                services.record_artifact_error(candidate, str(error))
                continue
            if candidate.error:
                services.clear_artifact_error(candidate)  # the artifact was restored
            break
        _loaded = chosen
        if chosen is None or chosen.version_id != version.pk:
            _broken[version.pk] = (time.monotonic() + ARTIFACT_RETRY_SECONDS, chosen.version_id if chosen else None)
            logger.error("model v%s cannot serve; %s", version.pk, f"v{chosen.version_id} serves instead" if chosen else "popular titles are shown")
        else:
            _broken.pop(version.pk, None)
        return chosen

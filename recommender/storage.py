"""Model artifacts on disk: fitted factors saved as a versioned .npz file with a checksum."""
import dataclasses
import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .beyond_accuracy import genre_matrix
from .content import TitleContent, tfidf_matrix


class ArtifactError(Exception):
    """The artifact is missing, unreadable or does not match its recorded checksum."""


@dataclass(frozen=True)
class FactorModel:
    """A biased matrix factorisation: r(u, i) = mu + bu[u] + bi[i] + pu[u] . qi[i], and optionally a
    ranking model for top-N order: x[u] . ranking_qi[i] + ranking_bi[i] + ranking_weight x r(u, i),
    where x[u] is folded in from the user's ratings (``recommender.ranking``, ``ranking_reg``,
    ``ranking_alpha``). Without ``ranking_qi`` titles rank by predicted rating. With
    ``neighbour_qi``, the order adds n[u] . neighbour_qi[i], n[u] summed from the ``neighbour_basis``
    rows of the titles the user rated at least ``neighbour_min_rating`` (``recommender.neighbours``).

    ``user_ids`` and ``title_ids`` map matrix rows back to database primary keys.
    """

    global_mean: float
    user_ids: np.ndarray
    title_ids: np.ndarray
    bu: np.ndarray
    bi: np.ndarray
    pu: np.ndarray
    qi: np.ndarray
    reg: float
    ranking_qi: np.ndarray | None = None
    ranking_bi: np.ndarray | None = None
    ranking_weight: float = 0.0
    ranking_reg: float = 0.0
    ranking_alpha: float = 0.0
    neighbour_basis: np.ndarray | None = None
    neighbour_qi: np.ndarray | None = None
    neighbour_min_rating: float = 0.0
    # What the reranker knows of each title (``recommender.pipeline.reranking``): its number of
    # training ratings, and its genres as CSR rows (``genre_indptr``, ``genre_indices``) over
    # ``genre_names``. None in artifacts made before them (those lists are not reranked).
    title_counts: np.ndarray | None = None
    genre_names: np.ndarray | None = None
    genre_indptr: np.ndarray | None = None
    genre_indices: np.ndarray | None = None
    # What "more like this" reads of each title besides its factors: its TF-IDF content row
    # (``recommender.content``: genres, people, keywords, kind, decade, description words) as CSR
    # (``content_indptr``, ``content_indices``, ``content_data``). None in older artifacts, which
    # fall back to the genre rows.
    content_indptr: np.ndarray | None = None
    content_indices: np.ndarray | None = None
    content_data: np.ndarray | None = None

    @property
    def has_ranking(self) -> bool:
        return self.ranking_qi is not None

    @property
    def has_neighbours(self) -> bool:
        return self.neighbour_qi is not None

    @property
    def has_title_facts(self) -> bool:
        return self.title_counts is not None and self.genre_indptr is not None

    def with_genres(self, genres_of: Mapping[int, Sequence[str]]) -> "FactorModel":
        """This model with each title's genres (by title id; a title missing from ``genres_of``
        has none)."""
        names, matrix = genre_matrix([tuple(genres_of.get(int(title_id), ())) for title_id in self.title_ids])
        return dataclasses.replace(self, genre_names=np.array(names, dtype=str),
                                   genre_indptr=matrix.indptr.astype(np.int64), genre_indices=matrix.indices.astype(np.int64))

    @property
    def has_content(self) -> bool:
        return self.content_indptr is not None

    def with_content(self, contents: Sequence[TitleContent]) -> "FactorModel":
        """This model with each title's content row (by title id; a title missing from
        ``contents`` has an empty row)."""
        by_id = {content.title_id: content for content in contents}
        rows = [by_id.get(int(title_id)) or TitleContent(int(title_id), "", None, (), (), (), "") for title_id in self.title_ids]
        matrix = tfidf_matrix(rows).tocsr()
        return dataclasses.replace(self, content_indptr=matrix.indptr.astype(np.int64), content_indices=matrix.indices.astype(np.int64),
                                   content_data=matrix.data.astype(np.float32))

    @classmethod
    def from_algorithm(cls, algo, reg: float) -> "FactorModel":
        """Read the factors of a fitted SVD-style algorithm whose raw ids are database keys, and its
        ranking factors when it has them."""
        trainset = algo.trainset
        user_ids = np.array([int(trainset.to_raw_uid(u)) for u in range(trainset.n_users)], dtype=np.int64)
        title_ids = np.array([int(trainset.to_raw_iid(i)) for i in range(trainset.n_items)], dtype=np.int64)
        return cls(
            global_mean=float(trainset.global_mean),
            user_ids=user_ids,
            title_ids=title_ids,
            bu=np.asarray(algo.bu, dtype=np.float64),
            bi=np.asarray(algo.bi, dtype=np.float64),
            pu=np.asarray(algo.pu, dtype=np.float64),
            qi=np.asarray(algo.qi, dtype=np.float64),
            reg=float(reg),
            **ranking_fields(algo),
            **neighbour_fields(algo),
            title_counts=item_rating_counts(trainset),
        )


def ranking_fields(algo) -> dict:
    """The ranking part of ``algo`` as FactorModel fields; empty when it ranks by rating alone."""
    ranking_qi = getattr(algo, "ranking_qi", None)
    if ranking_qi is None or ranking_qi.shape[1] == 0:
        return {}
    return {
        "ranking_qi": np.asarray(ranking_qi, dtype=np.float32),
        "ranking_bi": np.asarray(algo.ranking_bi, dtype=np.float32),
        "ranking_weight": float(algo.ranking_weight),
        "ranking_reg": float(algo.ranking_reg),
        "ranking_alpha": float(algo.ranking_alpha),
    }


def item_rating_counts(trainset) -> np.ndarray:
    """How many ratings each item of a surprise ``Trainset`` has, by inner id."""
    return np.array([len(trainset.ir[i]) for i in range(trainset.n_items)], dtype=np.float64)


def neighbour_fields(algo) -> dict:
    """The neighbour term of ``algo`` as FactorModel fields; empty when it has none."""
    neighbour_qi = getattr(algo, "neighbour_qi", None)
    if neighbour_qi is None or neighbour_qi.shape[1] == 0:
        return {}
    return {
        "neighbour_basis": np.asarray(algo.neighbour_basis, dtype=np.float32),
        "neighbour_qi": np.asarray(neighbour_qi, dtype=np.float32),
        "neighbour_min_rating": float(algo.neighbour_min_rating),
    }


RANKING_ARRAYS = ("ranking_qi", "ranking_bi")
RANKING_SCALARS = ("ranking_weight", "ranking_reg", "ranking_alpha")
NEIGHBOUR_ARRAYS = ("neighbour_basis", "neighbour_qi")
NEIGHBOUR_SCALARS = ("neighbour_min_rating",)
FACT_ARRAYS = ("title_counts", "genre_names", "genre_indptr", "genre_indices", "content_indptr", "content_indices", "content_data")


def save(model: FactorModel, path: Path) -> str:
    """Write ``model`` to ``path`` atomically and return the file's SHA-256."""
    buffer = io.BytesIO()
    optional = {}
    if model.has_ranking:
        optional = {name: getattr(model, name) for name in RANKING_ARRAYS}
        optional.update({name: np.array(getattr(model, name)) for name in RANKING_SCALARS})
    if model.has_neighbours:
        optional.update({name: getattr(model, name) for name in NEIGHBOUR_ARRAYS})
        optional.update({name: np.array(getattr(model, name)) for name in NEIGHBOUR_SCALARS})
    optional.update({name: getattr(model, name) for name in FACT_ARRAYS if getattr(model, name) is not None})
    np.savez(
        buffer,
        global_mean=np.array(model.global_mean),
        user_ids=model.user_ids,
        title_ids=model.title_ids,
        bu=model.bu,
        bi=model.bi,
        pu=model.pu,
        qi=model.qi,
        reg=np.array(model.reg),
        **optional,
    )
    data = buffer.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_bytes(data)
    partial.replace(path)
    return hashlib.sha256(data).hexdigest()


def load(path: Path, expected_sha256: str) -> FactorModel:
    """Read an artifact, refusing it when it is missing or its checksum differs."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ArtifactError(f"cannot read model artifact {path}: {exc}") from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise ArtifactError(f"model artifact {path} is corrupted (sha256 {actual}, expected {expected_sha256})")
    with np.load(io.BytesIO(data)) as arrays:
        # Artifacts written before the ranking model or the neighbour term existed lack their
        # arrays; they still serve.
        optional = {}
        if "ranking_qi" in arrays:
            optional = {name: arrays[name] for name in RANKING_ARRAYS}
            optional.update({name: float(arrays[name]) for name in RANKING_SCALARS})
        if "neighbour_qi" in arrays:
            optional.update({name: arrays[name] for name in NEIGHBOUR_ARRAYS})
            optional.update({name: float(arrays[name]) for name in NEIGHBOUR_SCALARS})
        optional.update({name: arrays[name] for name in FACT_ARRAYS if name in arrays})
        return FactorModel(
            global_mean=float(arrays["global_mean"]),
            user_ids=arrays["user_ids"],
            title_ids=arrays["title_ids"],
            bu=arrays["bu"],
            bi=arrays["bi"],
            pu=arrays["pu"],
            qi=arrays["qi"],
            reg=float(arrays["reg"]),
            **optional,
        )

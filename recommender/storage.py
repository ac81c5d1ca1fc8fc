"""Model artifacts: fitted factors saved as a versioned .npz file with a checksum, through Django's
storage API (``STORAGES["models"]``: a local folder by default, an S3 bucket for several web
machines), with the approximate top-N index beside it when the model has one (``recommender.ann``).

The artifact's SHA-256 is recorded on its ``ModelVersion``; the index's SHA-256 and name are
recorded inside the artifact, so one checksum vouches for both and a corrupted index is refused
like a corrupted artifact."""
import dataclasses
import hashlib
import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import storages

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
    # The serialized faiss index over the order score (``recommender.ann``), as bytes; None below
    # ``settings.ANN_MIN_TITLES`` titles. Stored in its own file beside the artifact.
    order_index: np.ndarray | None = None

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


def model_storage():
    """Where artifacts are kept: ``STORAGES["models"]``."""
    return storages["models"]


@dataclass(frozen=True)
class StoredArtifact:
    """The storage name an artifact was saved under and its SHA-256."""

    name: str
    sha256: str


def encode(model: FactorModel, index_name: str = "", index_sha256: str = "") -> bytes:
    """The artifact's bytes: an .npz of ``model``'s arrays, naming its index file when it has one."""
    buffer = io.BytesIO()
    optional = {}
    if model.has_ranking:
        optional = {name: getattr(model, name) for name in RANKING_ARRAYS}
        optional.update({name: np.array(getattr(model, name)) for name in RANKING_SCALARS})
    if model.has_neighbours:
        optional.update({name: getattr(model, name) for name in NEIGHBOUR_ARRAYS})
        optional.update({name: np.array(getattr(model, name)) for name in NEIGHBOUR_SCALARS})
    optional.update({name: getattr(model, name) for name in FACT_ARRAYS if getattr(model, name) is not None})
    if index_name:
        optional.update(order_index_name=np.array(index_name), order_index_sha256=np.array(index_sha256))
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
    return buffer.getvalue()


def save(model: FactorModel, name: str) -> StoredArtifact:
    """Write ``model`` (and its index) to the models storage under ``name`` (``model-v7.npz``).

    The index goes first and the artifact last, so an artifact never names a missing index; the
    storage keeps an existing file of the same name and saves under another (returned)."""
    index_name = index_sha256 = ""
    if model.order_index is not None:
        index_bytes = np.asarray(model.order_index, dtype=np.uint8).tobytes()
        index_sha256 = hashlib.sha256(index_bytes).hexdigest()
        index_name = model_storage().save(f"{os.path.splitext(name)[0]}.faiss", ContentFile(index_bytes))
    data = encode(model, index_name, index_sha256)
    stored = model_storage().save(name, ContentFile(data))
    return StoredArtifact(stored, hashlib.sha256(data).hexdigest())


def read(name: str) -> bytes:
    """A stored file's bytes. An absolute path is a file of this machine (versions recorded before
    artifacts went through the storage API); any other name is read from the models storage."""
    try:
        if os.path.isabs(name):
            return Path(name).read_bytes()
        with model_storage().open(name, "rb") as stored:
            return stored.read()
    except Exception as exc:  # a missing file, a storage (S3) that refuses or does not answer
        raise ArtifactError(f"cannot read model artifact {name}: {exc}") from exc


def checked(name: str, expected_sha256: str, what: str = "model artifact") -> bytes:
    data = read(name)
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise ArtifactError(f"{what} {name} is corrupted (sha256 {actual}, expected {expected_sha256})")
    return data


def load(name: str | Path, expected_sha256: str) -> FactorModel:
    """Read an artifact and its index, refusing either when it is missing or its checksum differs."""
    data = checked(str(name), expected_sha256)
    with np.load(io.BytesIO(data)) as arrays:
        # Artifacts written before the ranking model, the neighbour term or the index existed
        # lack their arrays; they still serve.
        optional = {}
        if "ranking_qi" in arrays:
            optional = {name: arrays[name] for name in RANKING_ARRAYS}
            optional.update({name: float(arrays[name]) for name in RANKING_SCALARS})
        if "neighbour_qi" in arrays:
            optional.update({name: arrays[name] for name in NEIGHBOUR_ARRAYS})
            optional.update({name: float(arrays[name]) for name in NEIGHBOUR_SCALARS})
        optional.update({name: arrays[name] for name in FACT_ARRAYS if name in arrays})
        if "order_index_name" in arrays:
            index_bytes = checked(str(arrays["order_index_name"]), str(arrays["order_index_sha256"]), "approximate top-N index")
            optional["order_index"] = np.frombuffer(index_bytes, dtype=np.uint8)
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

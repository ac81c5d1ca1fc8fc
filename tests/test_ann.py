"""Approximate top-N (recommender/ann.py): the index is built at training time above the title
threshold, stored and checksummed with the artifact, refused when corrupted, and its answers hold
every filter and exclusion exactly, falling back to the exact scan when too few candidates survive."""
import dataclasses
import hashlib
import io

import numpy as np
import pytest
from django.conf import settings

from catalog.selectors import TitleFilters
from ratings.models import Rating
from recommender import ann, scoring, serving, storage
from recommender.models import ModelVersion
from recommender.services import ARTIFACT_ERROR_PREFIX
from recommender.training import train_model_version

from .conftest import recommendations_for

SEEDED = {"random_state": 0}


@pytest.fixture
def index_every_model(settings):
    """Any catalog is "big": training builds the index for the 30-title test catalog."""
    settings.ANN_MIN_TITLES = 2
    settings.ANN_NPROBE = 4


def stored_arrays(version: ModelVersion) -> dict:
    data = (settings.MODEL_DIR / version.artifact_path).read_bytes()
    with np.load(io.BytesIO(data)) as arrays:
        return {name: arrays[name] for name in arrays.files}


def exact_twin(model: serving.LoadedModel) -> serving.LoadedModel:
    """The same loaded model without its index: every top-N scans exactly."""
    return dataclasses.replace(model, order_index=None)


def test_index_built_stored_and_checksummed_with_the_artifact(taste_catalog, user, index_every_model):
    version = train_model_version(params=SEEDED).version
    arrays = stored_arrays(version)
    index_file = settings.MODEL_DIR / str(arrays["order_index_name"])
    assert index_file.name == f"model-v{version.pk}.faiss" and index_file.stat().st_size > 0
    assert str(arrays["order_index_sha256"]) == hashlib.sha256(index_file.read_bytes()).hexdigest()
    # The artifact's own checksum, recorded on the version, covers the index's name and checksum.
    assert version.artifact_sha256 == hashlib.sha256((settings.MODEL_DIR / version.artifact_path).read_bytes()).hexdigest()

    model = serving.current_model()
    assert model.version_id == version.pk and model.order_index is not None
    assert model.order_index.index.ntotal == len(model.factors.title_ids) == 30
    for title in taste_catalog["romance"][:3]:
        Rating.objects.create(user=user, title=title, score=5.0)
    for title in taste_catalog["action"][:3]:
        Rating.objects.create(user=user, title=title, score=0.5)
    ratings = dict(Rating.objects.filter(user=user).values_list("title_id", "score"))
    served = recommendations_for(user, n=5)
    assert [item.personalized for item in served] == [True] * 5
    # Through the index, the same list as the exact scan (the index covers every title here).
    assert model.ranked(ratings, 12) == exact_twin(model).ranked(ratings, 12)
    assert not {title_id for title_id, *_ in model.ranked(ratings, 24)} & set(ratings)


def test_below_the_threshold_no_index_is_built(taste_catalog, settings):
    settings.ANN_MIN_TITLES = 31
    version = train_model_version(params=SEEDED).version
    assert "order_index_name" not in stored_arrays(version)
    assert not list(settings.MODEL_DIR.glob("*.faiss"))
    assert serving.current_model().order_index is None


def test_a_corrupted_index_is_refused_like_a_corrupted_artifact(taste_catalog, index_every_model):
    previous = train_model_version(params=SEEDED).version
    latest = train_model_version(params=SEEDED).version
    index_file = settings.MODEL_DIR / str(stored_arrays(latest)["order_index_name"])
    intact = index_file.read_bytes()
    index_file.write_bytes(intact[:100] + bytes([intact[100] ^ 0xFF]) + intact[101:])

    with pytest.raises(storage.ArtifactError, match="index .* is corrupted"):
        serving.load_version(latest)
    assert serving.current_model().version_id == previous.pk
    latest.refresh_from_db()
    assert latest.error.startswith(ARTIFACT_ERROR_PREFIX) and "approximate top-N index" in latest.error

    index_file.unlink()
    with pytest.raises(storage.ArtifactError, match="cannot read"):
        serving.load_version(latest)

    index_file.write_bytes(intact)  # restored: it serves again
    serving.forget()
    assert serving.current_model().version_id == latest.pk
    latest.refresh_from_db()
    assert latest.error == ""


def test_a_derived_version_gets_an_index_of_its_own(taste_catalog, index_every_model):
    from catalog.models import Genre, Title
    from recommender.training import derive_version_with_new_titles

    trained = train_model_version(params=SEEDED).version
    title = Title.objects.create(name="New Romance", year=2024)
    title.genres.add(Genre.objects.get(name="Romance"))
    derived = derive_version_with_new_titles()
    assert str(stored_arrays(derived)["order_index_name"]) != str(stored_arrays(trained)["order_index_name"])
    model = serving.current_model()
    assert model.version_id == derived.pk and model.order_index.index.ntotal == 31


def two_clusters(n: int = 2000, width: int = 16, seed: int = 0):
    """Order rows in two far-apart clusters; ids are rows + 1."""
    rng = np.random.default_rng(seed)
    centre = np.zeros(width, dtype=np.float32)
    centre[0] = 5.0
    factors = rng.normal(0, 0.3, (n, width)).astype(np.float32)
    factors[: n // 2] += centre
    factors[n // 2:] -= centre
    base = rng.normal(0, 0.1, n).astype(np.float32)
    return factors, base, np.arange(1, n + 1, dtype=np.int64)


def test_filtered_path_falls_back_to_the_exact_scan_when_too_few_candidates_survive():
    factors, base, title_ids = two_clusters()
    order_index = ann.OrderIndex(ann.build_index(factors, base), nprobe=1)
    vector = np.zeros(16, dtype=np.float32)
    vector[0] = 1.0  # this user's best titles are all in the first cluster
    excluded = np.zeros(0, dtype=np.int64)

    # Only 12 titles of the far cluster are allowed: the probed cell holds none of them.
    allowed_ids = np.sort(title_ids[-12:])
    answer = ann.top_rows(order_index, factors, base, vector, excluded, 10, title_ids, allowed_ids)
    mask = ann.members(allowed_ids, title_ids)
    assert answer.path == "exact"
    np.testing.assert_array_equal(answer.rows, scoring.top_rows(factors, base, vector, excluded, mask, 10))
    assert set(title_ids[answer.rows]) <= set(allowed_ids)

    # A broad filter (every other title) is over-fetched, filtered, and answered by the index.
    broad = title_ids[::2]
    answer = ann.top_rows(order_index, factors, base, vector, excluded, 10, title_ids, broad)
    assert answer.path == "index" and set(title_ids[answer.rows]) <= set(broad)


def test_rated_titles_never_come_back_through_the_index():
    factors, base, title_ids = two_clusters(seed=1)
    order_index = ann.OrderIndex(ann.build_index(factors, base), nprobe=1000)  # every cell: exact but for the codes
    vector = np.zeros(16, dtype=np.float32)
    vector[0] = 1.0
    no_filter = np.zeros(0, dtype=np.bool_)
    best = scoring.top_rows(factors, base, vector, np.zeros(0, dtype=np.int64), no_filter, 20)
    rated = np.sort(best[:5])  # the user rated five of their own best titles
    answer = ann.top_rows(order_index, factors, base, vector, rated, 10, title_ids)
    assert answer.path == "index" and not set(answer.rows) & set(rated)
    np.testing.assert_array_equal(answer.rows, scoring.top_rows(factors, base, vector, rated, no_filter, 10))


def test_served_lists_with_filters_hold_them_through_the_index(taste_catalog, user, index_every_model):
    train_model_version(params=SEEDED)
    for title in taste_catalog["romance"][:3]:
        Rating.objects.create(user=user, title=title, score=5.0)
    for title in taste_catalog["action"][:3]:
        Rating.objects.create(user=user, title=title, score=0.5)
    action_ids = {title.pk for title in taste_catalog["action"]}
    served = recommendations_for(user, n=5, filters=TitleFilters(genre="Action"))
    assert served and {item.title.pk for item in served} <= action_ids - {t.pk for t in taste_catalog["action"][:3]}
    assert serving.current_model().order_index is not None

"""Which version serves: every process reads its pk from the shared cache (``streamrec.cache.SERVING_VERSION``),
else from the database (and keeps it there for ``SERVING_VERSION_SECONDS``). ``activate_version``
deletes the key at once and sets it once the activation commits, so a newly activated version
serves on the very next request in every process; a version made serving by any other path (a raw
UPDATE) serves once the key expires or is evicted."""
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from recommender import serving
from recommender.models import ModelVersion
from recommender.services import activate_version
from recommender.training import train_model_version
from streamrec import cache as shared_cache
from streamrec.cache import SERVING_VERSION, SERVING_VERSION_SECONDS

from .processes import database_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_versions(taste_catalog):
    """Two trained ready versions; the second (trained last) serves."""
    first = train_model_version(params={"random_state": 0}).version
    second = train_model_version(params={"random_state": 1}).version
    assert serving.current_model().version_id == second.pk
    return first, second


def seconds_left(key: str) -> float | None:
    """How long the cache keeps ``key``, from the backend itself (Redis TTL, or the row's expiry)."""
    backend = cache._cache if hasattr(cache, "_cache") else None
    full_key = cache.make_and_validate_key(key)
    if backend is not None and hasattr(backend, "get_client"):
        ttl = backend.get_client(full_key).ttl(full_key)
        return None if ttl < 0 else float(ttl)
    from streamrec.models import CacheEntry

    row = CacheEntry.objects.filter(cache_key=full_key).first()
    return None if row is None else (row.expires - timezone.now()).total_seconds()


def test_activating_a_version_serves_it_on_the_next_request(two_versions):
    first, second = two_versions
    activate_version(first)
    assert serving.current_model().version_id == first.pk
    assert cache.get(SERVING_VERSION) == first.pk
    activate_version(second)  # a rollback is an activation too
    assert serving.current_model().version_id == second.pk


def test_an_activation_forgets_the_key_at_once_and_sets_it_after_the_commit(two_versions, django_capture_on_commit_callbacks):
    first, second = two_versions
    assert cache.get(SERVING_VERSION) == second.pk
    with django_capture_on_commit_callbacks(execute=False) as pending:
        activate_version(first)
        assert cache.get(SERVING_VERSION, "missing") == "missing"  # nobody reads the old pk meanwhile
    cache.set(SERVING_VERSION, second.pk)  # a reader that read the database before the commit
    for callback in pending:
        callback()
    assert cache.get(SERVING_VERSION) == first.pk
    assert 0 < seconds_left(SERVING_VERSION) <= SERVING_VERSION_SECONDS
    assert serving.current_model().version_id == first.pk


def test_a_rolled_back_activation_never_serves(two_versions, django_capture_on_commit_callbacks):
    first, second = two_versions
    with django_capture_on_commit_callbacks(execute=True) as pending, pytest.raises(RuntimeError), transaction.atomic():
        activate_version(first)
        raise RuntimeError("the activation's transaction fails")
    assert pending == []
    assert ModelVersion.objects.get(pk=first.pk).activated_at < ModelVersion.objects.get(pk=second.pk).activated_at
    assert serving.current_model().version_id == second.pk
    assert cache.get(SERVING_VERSION) == second.pk


def test_a_version_activated_by_a_raw_update_serves_once_the_key_is_evicted(two_versions):
    first, second = two_versions
    # Another path makes the first version serving: a plain UPDATE, no activate_version.
    ModelVersion.objects.filter(pk=first.pk).update(activated_at=timezone.now())
    assert serving.current_model().version_id == second.pk  # the kept pk still serves
    assert 0 < seconds_left(SERVING_VERSION) <= SERVING_VERSION_SECONDS  # ... for at most this long
    cache.delete(SERVING_VERSION)  # evicted (or expired)
    assert serving.current_model().version_id == first.pk
    assert cache.get(SERVING_VERSION) == first.pk


def test_a_version_activated_by_a_raw_update_serves_once_the_key_expires(two_versions, monkeypatch):
    first, second = two_versions
    monkeypatch.setattr(shared_cache, "SERVING_VERSION_SECONDS", 1)
    cache.delete(SERVING_VERSION)
    assert serving.current_model().version_id == second.pk  # read from the database, kept for 1 s
    ModelVersion.objects.filter(pk=first.pk).update(activated_at=timezone.now())
    assert serving.current_model().version_id == second.pk
    deadline = time.monotonic() + 5
    while cache.get(SERVING_VERSION, "expired") != "expired":  # the cache itself expires it
        assert time.monotonic() < deadline, "the serving-version key did not expire"
        time.sleep(0.1)
    assert serving.current_model().version_id == first.pk


def test_an_evicted_key_is_read_from_the_database_once_and_kept(two_versions):
    _, second = two_versions
    with CaptureQueriesContext(connection) as hit:
        assert serving.current_model().version_id == second.pk
    assert len(hit) == 0  # the kept pk and the loaded model: no query
    cache.delete(SERVING_VERSION)
    with CaptureQueriesContext(connection) as miss:
        assert serving.current_model().version_id == second.pk
    assert any(ModelVersion._meta.db_table in query["sql"] for query in miss)
    assert cache.get(SERVING_VERSION) == second.pk
    with CaptureQueriesContext(connection) as again:
        serving.current_model()
    assert len(again) == 0


def test_no_serving_version_is_kept_too_and_an_activation_ends_it(taste_catalog):
    version = train_model_version(params={"random_state": 0}).version
    ModelVersion.objects.filter(pk=version.pk).update(activated_at=None)
    cache.delete(SERVING_VERSION)
    assert serving.current_model() is None
    assert cache.get(SERVING_VERSION, "missing") is None  # "nothing serves" is kept as well
    ModelVersion.objects.filter(pk=version.pk).update(activated_at=timezone.now())
    assert serving.current_model() is None  # a raw UPDATE: the kept answer holds until it goes
    cache.delete(SERVING_VERSION)
    assert serving.current_model().version_id == version.pk
    ModelVersion.objects.filter(pk=version.pk).update(activated_at=None)
    cache.delete(SERVING_VERSION)
    assert serving.current_model() is None
    activate_version(version)
    assert serving.current_model().version_id == version.pk  # through the service: at once


def test_a_kept_pk_of_a_deleted_version_is_not_served(two_versions):
    first, second = two_versions
    ModelVersion.objects.filter(pk=second.pk).delete()  # staff delete it in the admin of another process
    serving.forget()  # a process that had not loaded it
    assert cache.get(SERVING_VERSION) == second.pk
    assert serving.current_model() is None  # never the deleted version (popular titles meanwhile)
    cache.delete(SERVING_VERSION)  # once the key goes, the version serving before it is read
    assert serving.current_model().version_id == first.pk


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_activation_in_another_process_serves_here_on_the_next_request(taste_catalog):
    first = train_model_version(params={"random_state": 0}).version
    second = train_model_version(params={"random_state": 1}).version
    assert serving.current_model().version_id == second.pk
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "streamrec.settings"}
    env.pop("CELERY_BROKER_URL", None)
    script = (
        "import django; django.setup()\n"
        "from recommender.models import ModelVersion\n"
        "from recommender.services import activate_version\n"
        f"activate_version(ModelVersion.objects.get(pk={first.pk}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=django_settings.BASE_DIR, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert serving.current_model().version_id == first.pk

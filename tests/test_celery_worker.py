"""The retrain task through a real Celery worker process, over Redis, on the test database."""
import os

import pytest
import redis

from ratings.models import Rating
from recommender import serving
from recommender.models import ModelVersion
from streamrec.cache import SERVING_VERSION, shared
from streamrec.celery import app as celery_app

from .conftest import build_taste_catalog, make_user, recommendations_for
from .processes import wait_for

BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker():
    try:
        redis.Redis.from_url(BROKER_URL).ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is not reachable at {BROKER_URL}: {exc}")
    return BROKER_URL


@pytest.fixture
def worker(broker, start_worker):
    """A real worker process (tests/processes.py) on the test database; yields its queue."""
    return start_worker(broker).queue


def test_retrain_in_a_worker_changes_recommendations(worker, settings):
    catalog = build_taste_catalog()
    user = make_user("fan")
    for title in catalog["romance"][:3]:
        Rating.objects.create(user=user, title=title, score=5.0)
    for title in catalog["action"][:3]:
        Rating.objects.create(user=user, title=title, score=0.5)
    before = recommendations_for(user, n=5)
    assert not any(r.personalized for r in before)
    assert shared.get(SERVING_VERSION, "missing") is None  # "no version serves", kept for SERVING_VERSION_SECONDS

    # This process runs tasks eagerly (no broker configured), so send over an explicit connection.
    with celery_app.connection_for_write(BROKER_URL) as broker_connection:
        celery_app.send_task("recommender.tasks.retrain", queue=worker, connection=broker_connection)
    wait_for(lambda: ModelVersion.objects.filter(status__in=["ready", "failed"]).exists(), 120, "the worker to train")

    version = ModelVersion.objects.get()
    assert version.status == ModelVersion.Status.READY, version.error
    assert version.n_ratings == Rating.objects.count()
    assert (settings.MODEL_DIR / version.artifact_path).exists()
    # The worker's activation sets the shared serving-version key once it commits (moments after the
    # status is saved); this process had kept "no version" there when it served ``before``.
    wait_for(lambda: shared.get(SERVING_VERSION) == version.pk, 10, "the worker to publish the version it activated")
    # ... and this process serves that version on its very next request: no wait.
    after = recommendations_for(user, n=5)
    assert serving.current_model().version_id == version.pk
    assert all(r.personalized for r in after)
    assert len(after) == 5
    assert [r.title.pk for r in after] != [r.title.pk for r in before]
    assert {r.title.pk for r in after} <= {t.pk for t in catalog["romance"][3:]}

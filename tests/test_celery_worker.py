"""The retrain task through a real Celery worker process, over Redis, on the test database."""
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from ratings.models import Rating
from recommender.models import ModelVersion
from recommender.selectors import recommend_for_user
from streamrec.celery import app as celery_app

from .conftest import build_taste_catalog, make_user

BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
REPO = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the worker test shares the test database with another process: run it on PostgreSQL")
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def broker():
    try:
        redis.Redis.from_url(BROKER_URL).ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is not reachable at {BROKER_URL}: {exc}")
    return BROKER_URL


@pytest.fixture
def worker(broker, model_dir, tmp_path):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker,
        "CELERY_QUEUE": queue,
        "STREAMREC_MODEL_DIR": str(model_dir),
        "DJANGO_SETTINGS_MODULE": "streamrec.settings",
    }
    log = open(tmp_path / "worker.log", "w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "streamrec", "worker", "--pool=solo", "--loglevel=info",
         "-Q", queue, "--without-mingle", "--without-gossip", "--without-heartbeat"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        yield queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.seek(0)
        print(log.read()[-4000:])
        log.close()


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def test_retrain_in_a_worker_changes_recommendations(worker, settings):
    catalog = build_taste_catalog()
    user = make_user("fan")
    for title in catalog["romance"][:3]:
        Rating.objects.create(user=user, title=title, score=5.0)
    for title in catalog["action"][:3]:
        Rating.objects.create(user=user, title=title, score=0.5)
    before = recommend_for_user(user, n=5)
    assert not any(r.personalized for r in before)

    # This process runs tasks eagerly (no broker configured), so send over an explicit connection.
    with celery_app.connection_for_write(BROKER_URL) as broker_connection:
        celery_app.send_task("recommender.tasks.retrain", queue=worker, connection=broker_connection)
    wait_for(lambda: ModelVersion.objects.filter(status__in=["ready", "failed"]).exists(), 120, "the worker to train")

    version = ModelVersion.objects.get()
    assert version.status == ModelVersion.Status.READY, version.error
    assert version.n_ratings == Rating.objects.count()
    assert Path(version.artifact_path).parent == settings.MODEL_DIR
    after = recommend_for_user(user, n=5)
    assert all(r.personalized for r in after)
    assert [r.title.pk for r in after] != [r.title.pk for r in before]
    assert {r.title.pk for r in after} <= {t.pk for t in catalog["romance"][3:]}

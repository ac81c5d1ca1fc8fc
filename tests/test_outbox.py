"""Tasks sent while Redis is down are kept in the database and sent once it is back."""
import json
import os

import pytest
import redis

from recommender.models import ModelVersion
from streamrec.celery import app as celery_app
from streamrec.models import QueuedTask
from streamrec.outbox import enqueue, flush_outbox

REDIS_URL = os.environ.get("TEST_OUTBOX_REDIS_URL", "redis://127.0.0.1:6379/11")
DEAD_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1: a real refused connection


@pytest.fixture
def broker_mode():
    """Leave in-process (eager) mode, as on a site configured with a broker."""
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


@pytest.fixture
def live_redis():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


def queued_task_names(client) -> list[str]:
    queue = celery_app.conf.task_default_queue
    return [json.loads(message)["headers"]["task"] for message in client.lrange(queue, 0, -1)]


def test_without_a_broker_tasks_run_in_process_and_failures_stay_there(db):
    assert celery_app.conf.task_always_eager
    assert enqueue("recommender.tasks.retrain") is True  # runs at once; fails for want of ratings, as it would in a worker
    assert ModelVersion.objects.get().status == ModelVersion.Status.FAILED
    assert not QueuedTask.objects.exists()


def test_broker_down_keeps_the_task_and_flush_sends_it_later(db, broker_mode, live_redis):
    with celery_app.connection_for_write(DEAD_BROKER_URL) as dead:
        assert enqueue("recommender.tasks.retrain", "biased_mf", connection=dead) is False
    queued = QueuedTask.objects.get()
    assert (queued.name, queued.args, queued.sent_at) == ("recommender.tasks.retrain", ["biased_mf"], None)
    assert queued.last_error

    with celery_app.connection_for_write(DEAD_BROKER_URL) as dead:
        assert flush_outbox(connection=dead) == 0
    queued.refresh_from_db()
    assert queued.attempts == 2 and queued.sent_at is None

    with celery_app.connection_for_write(REDIS_URL) as back:
        assert flush_outbox(connection=back) == 1
        assert flush_outbox(connection=back) == 0
    queued.refresh_from_db()
    assert queued.sent_at is not None
    assert queued_task_names(live_redis) == ["recommender.tasks.retrain"]


def test_broker_up_sends_at_once(db, broker_mode, live_redis):
    with celery_app.connection_for_write(REDIS_URL) as up:
        assert enqueue("recommender.tasks.retrain", connection=up) is True
    assert not QueuedTask.objects.exists()
    assert queued_task_names(live_redis) == ["recommender.tasks.retrain"]

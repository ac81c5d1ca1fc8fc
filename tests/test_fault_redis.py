"""Fault drill: Redis (the Celery broker) stops while the site runs, then comes back.

The site is configured with a broker (CELERY_BROKER_URL at a redis-server of this test's own,
tasks not run in-process), the redis-server is stopped, and everything goes through Django's
test client: pages and the API keep answering, ratings are saved, recommendations come from the
loaded model, tasks requested meanwhile wait in the outbox, the health endpoint reports the broker
down. Once redis-server is back the outbox is flushed and a real worker runs what was waiting.
"""
import json

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import ImportRun, Title
from ratings.models import Rating
from recommender import serving
from recommender.models import ModelVersion
from recommender.training import train_model_version
from streamrec.celery import app as celery_app
from streamrec.models import QueuedTask
from streamrec.outbox import flush_outbox

from .fixtures.pipeline import NETFLIX
from .processes import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

QUEUED_NAMES = {"recommender.tasks.retrain", "catalog.tasks.import_files"}


@pytest.fixture
def site_with_broker(sending_to_broker, settings, tmp_path):
    """The site with a broker (the private redis-server, see ``sending_to_broker``), and a directory
    for uploaded catalog files."""
    settings.CATALOG_UPLOAD_DIR = tmp_path / "uploads"
    return sending_to_broker


def queued_in_redis(server, queue: str) -> list[str]:
    return [json.loads(message)["headers"]["task"] for message in server.client().lrange(queue, 0, -1)]


def test_redis_down_the_site_keeps_answering_and_queued_tasks_run_when_it_is_back(
    site_with_broker, taste_catalog, user, client, start_worker
):
    redis_server = site_with_broker
    version = train_model_version(params={"random_state": 0}).version
    action, romance = taste_catalog["action"], taste_catalog["romance"]
    for title in action[:3]:
        Rating.objects.create(user=user, title=title, score=5.0)
    Rating.objects.create(user=user, title=romance[0], score=1.0)
    client.force_login(user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    staff = Client()
    staff.force_login(get_user_model().objects.create_superuser("curator", "curator@example.com", "curator-Pass-123"))
    assert client.get("/api/v1/health/").json()["broker"] == {"ok": True, "detail": "reachable"}

    redis_server.stop()

    # Pages and the API keep answering.
    for path in ("/", "/titles/", f"/titles/{action[5].pk}/", "/ratings/"):
        assert client.get(path).status_code == 200, path
    assert api.get("/api/v1/titles/").status_code == 200
    assert api.get(f"/api/v1/titles/{action[5].pk}/").status_code == 200

    # Ratings are saved: the page's form and the API.
    response = client.post(f"/ratings/{action[3].pk}/", {"score": "4.5", "next": "/titles/"})
    assert response.status_code == 302
    assert Rating.objects.get(user=user, title=action[3]).score == 4.5
    response = api.post("/api/v1/me/ratings/", {"title": romance[1].pk, "score": 0.5}, format="json")
    assert response.status_code == 201
    assert Rating.objects.get(user=user, title=romance[1]).score == 0.5

    # Recommendations come from the loaded model (with the fresh ratings folded in).
    page = client.get("/recommendations/")
    assert page.status_code == 200 and page.context["personalized"]
    items = api.get("/api/v1/me/recommendations/", {"n": 5}).json()
    assert len(items) == 5 and all(item["personalized"] for item in items)
    assert {item["title"]["id"] for item in items} <= {t.pk for t in action[4:]}
    assert serving.current_model().version_id == version.pk

    # The health endpoint reports the broker down (503: the site cannot run tasks).
    health = client.get("/api/v1/health/")
    assert health.status_code == 503
    body = health.json()
    assert body["status"] == "unavailable" and body["broker"]["ok"] is False and body["broker"]["detail"]
    assert body["database"]["ok"] is True and body["model"]["version"] == version.pk

    # A retrain and an import requested meanwhile wait in the outbox; staff are told.
    response = staff.post("/admin/recommender/modelversion/", {"action": "retrain_now", ACTION_CHECKBOX_NAME: [version.pk]}, follow=True)
    assert response.status_code == 200 and "The task queue is down" in response.content.decode()
    response = staff.post(
        "/admin/catalog/importrun/upload/",
        {"format": "streaming", "platform": "", "file": SimpleUploadedFile("netflix_titles.csv", NETFLIX.read_bytes())},
        follow=True,
    )
    assert response.status_code == 200 and "the task queue is down: import kept" in response.content.decode()
    waiting = QueuedTask.objects.filter(sent_at__isnull=True)
    assert set(waiting.values_list("name", flat=True)) == QUEUED_NAMES
    assert all(task.last_error for task in waiting)
    assert flush_outbox() == 0  # the beat's flush while Redis is still down: kept, not dropped
    assert QueuedTask.objects.filter(sent_at__isnull=True).count() == 2
    assert ModelVersion.objects.count() == 1 and not ImportRun.objects.exists()

    # Redis is back: the health endpoint says so, the outbox is flushed (beat does it every minute,
    # a worker when it starts) and the messages are in Redis.
    redis_server.start()
    assert client.get("/api/v1/health/").status_code == 200
    assert flush_outbox() == 2
    assert not QueuedTask.objects.filter(sent_at__isnull=True).exists()
    queue = celery_app.conf.task_default_queue
    assert sorted(queued_in_redis(redis_server, queue)) == sorted(QUEUED_NAMES)

    # A real worker runs them: the import and the retrain happen.
    titles_before = Title.objects.count()
    worker = start_worker(redis_server.url, queue=queue)
    run = wait_for(lambda: ImportRun.objects.exclude(status=ImportRun.Status.RUNNING).first(), 90, "the queued import to run")
    assert run.status == ImportRun.Status.SUCCEEDED and run.trigger == "task" and run.created > 0
    assert Title.objects.count() > titles_before
    retrained = wait_for(
        lambda: ModelVersion.objects.exclude(pk=version.pk).exclude(params__has_key="derived_from")
        .filter(status__in=["ready", "rejected", "failed"]).first(),
        90, "the queued retrain to run",
    )
    assert retrained.status in (ModelVersion.Status.READY, ModelVersion.Status.REJECTED), retrained.error
    assert retrained.n_ratings == Rating.objects.count()
    assert "Traceback" not in worker.output()
    print(f"drill: health while down {body['broker']['detail']!r}; after restart the worker ran import run {run.pk} "
          f"({run.created} titles) and retrain v{retrained.pk} ({retrained.status})")

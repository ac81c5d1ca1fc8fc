"""Fault drills on the model: the serving artifact corrupted or missing, training crashing or
producing a worse model. Pages and the API keep answering from an intact model (or the popularity
list), the serving version does not change behind anyone's back, and staff see what went wrong.
"""
import time
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ratings.models import Rating
from recommender import algorithms, serving
from recommender.models import ModelVersion
from recommender.selectors import serving_version
from recommender.training import train_model_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def fan(user, taste_catalog, client):
    """A signed-in action fan: a page client and an API client."""
    for title in taste_catalog["action"][:3]:
        Rating.objects.create(user=user, title=title, score=5.0)
    for title in taste_catalog["romance"][:3]:
        Rating.objects.create(user=user, title=title, score=1.0)
    client.force_login(user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client, api


@pytest.fixture
def staff(db):
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("curator", "curator@example.com", "curator-Pass-123"))
    return client


def recommendations(fan) -> tuple[bool, list[dict]]:
    """What the signed-in fan gets: whether the page is personal, and the API's items."""
    page_client, api = fan
    page = page_client.get("/recommendations/")
    assert page.status_code == 200
    response = api.get("/api/v1/me/recommendations/", {"n": 5})
    assert response.status_code == 200
    return page.context["personalized"], response.json()


def test_corrupted_serving_artifact_the_previous_version_serves_and_staff_see_it(taste_catalog, fan, staff, monkeypatch):
    previous = train_model_version(params={"random_state": 0}).version
    latest = train_model_version(params={"random_state": 0}).version
    assert serving_version() == latest
    artifact = settings.MODEL_DIR / latest.artifact_path
    intact = artifact.read_bytes()
    artifact.write_bytes(b"\x00junk" * 100)

    personalized, items = recommendations(fan)
    assert personalized and len(items) == 5 and all(item["personalized"] for item in items)
    assert {item["title"]["id"] for item in items} <= {t.pk for t in taste_catalog["action"][3:]}
    assert serving.current_model().version_id == previous.pk
    assert serving_version() == latest  # nothing was switched in the database behind staff's back

    # Detected by the checksum and recorded on the version; staff see it on their page and in admin.
    latest.refresh_from_db()
    assert latest.error.startswith("Artifact check failed") and "is corrupted (sha256" in latest.error
    page = staff.get("/staff/models/").content.decode()
    assert f"Model v{latest.pk} (the serving version) cannot be loaded." in page and "is corrupted" in page
    admin = staff.get("/admin/recommender/modelversion/").content.decode()
    assert f"The serving model v{latest.pk} cannot be loaded" in admin
    health = staff.get("/api/v1/health/").json()["model"]
    assert (health["version"], health["loaded_version"], health["ok"]) == (latest.pk, previous.pk, True)
    assert health["detail"] == f"v{latest.pk}'s artifact cannot be read: v{previous.pk} serves instead"

    # The broken file is not read again on every request...
    loads = []
    real_load = serving.load_version
    monkeypatch.setattr(serving, "load_version", lambda version: loads.append(version.pk) or real_load(version))
    assert serving.current_model().version_id == previous.pk and loads == []
    # ...but checked again a minute later: once the file is restored, the latest version serves again.
    artifact.write_bytes(intact)
    assert serving.current_model().version_id == previous.pk
    later = time.monotonic() + serving.ARTIFACT_RETRY_SECONDS + 1
    monkeypatch.setattr(serving, "time", SimpleNamespace(monotonic=lambda: later))
    assert serving.current_model().version_id == latest.pk
    latest.refresh_from_db()
    assert latest.error == ""
    assert "cannot be loaded" not in staff.get("/staff/models/").content.decode()


def test_missing_artifact_and_no_intact_version_popular_titles_serve(taste_catalog, fan, staff):
    only = train_model_version().version
    (settings.MODEL_DIR / only.artifact_path).unlink()

    personalized, items = recommendations(fan)
    assert not personalized and len(items) == 5 and not any(item["personalized"] for item in items)
    assert serving.current_model() is None
    only.refresh_from_db()
    assert "cannot read model artifact" in only.error
    assert f"Model v{only.pk} (the serving version) cannot be loaded." in staff.get("/staff/models/").content.decode()
    health = staff.get("/api/v1/health/").json()["model"]
    assert (health["version"], health["loaded_version"], health["ok"]) == (only.pk, None, False)
    assert health["detail"] == f"v{only.pk}'s artifact cannot be read: popular titles are shown"
    # Every page that uses the model still answers.
    page_client, api = fan
    title = taste_catalog["action"][5]
    assert page_client.get("/").status_code == 200
    assert page_client.get(f"/titles/{title.pk}/").status_code == 200
    assert api.get(f"/api/v1/titles/{title.pk}/similar/").status_code == 200


def test_training_crash_in_the_retrain_task_leaves_the_serving_model(taste_catalog, fan, staff, monkeypatch):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    good = train_model_version().version
    before = recommendations(fan)

    def crash(self, trainset):
        raise MemoryError("the training process ran out of memory")

    monkeypatch.setattr(algorithms.ALGORITHMS[algorithms.PRODUCTION], "fit", crash)
    # Staff ask for a retrain (the task runs in-process here, failing as it would in a worker).
    response = staff.post("/admin/recommender/modelversion/", {"action": "retrain_now", ACTION_CHECKBOX_NAME: [good.pk]}, follow=True)
    assert response.status_code == 200
    failed = ModelVersion.objects.exclude(pk=good.pk).get()
    assert failed.status == ModelVersion.Status.FAILED and "ran out of memory" in failed.error
    assert serving_version() == good and serving.current_model().version_id == good.pk
    assert recommendations(fan) == before
    assert "ran out of memory" in staff.get("/staff/models/").content.decode()


def test_a_worse_model_from_the_retrain_task_does_not_serve(taste_catalog, fan):
    from recommender.tasks import retrain

    good = train_model_version("surprise_svd", params={"random_state": 0}).version
    before = recommendations(fan)
    # No learning at all: every prediction is the global mean.
    result = retrain.delay("surprise_svd", {"n_epochs": 1, "lr_all": 0.0, "init_std_dev": 0.0}).get()
    assert result["status"] == ModelVersion.Status.REJECTED and result["activated"] is False
    assert result["rmse"] > good.rmse
    assert serving_version() == good and serving.current_model().version_id == good.pk
    assert recommendations(fan) == before

"""Health endpoint: database, broker and serving model version."""
from django.db.utils import OperationalError

from recommender.models import ModelVersion

from .api_fixtures import *  # noqa: F401,F403


def test_healthy_without_a_model(api_client, db, settings):
    settings.CELERY_BROKER_URL = ""
    body = api_client.get("/api/v1/health/").json()
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True, "detail": "postgresql"} or body["database"]["ok"]
    assert body["broker"]["ok"] and "in-process" in body["broker"]["detail"]
    assert body["model"]["ok"] is False and body["model"]["version"] is None


def test_health_names_the_serving_version(api_client, taste_catalog):
    from recommender.training import train_model_version

    version = train_model_version().version
    body = api_client.get("/api/v1/health/").json()
    assert body["model"]["version"] == ModelVersion.objects.get(pk=version.pk).pk
    assert body["model"]["ok"] and body["model"]["algorithm"] == version.algorithm
    assert body["model"]["rmse"] == version.rmse


def test_broker_is_checked_when_configured(api_client, db, settings):
    import os

    settings.CELERY_BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
    from streamrec.celery import app

    app.conf.broker_url = settings.CELERY_BROKER_URL
    try:
        response = api_client.get("/api/v1/health/")
    finally:
        app.conf.broker_url = None
    assert response.status_code == 200 and response.json()["broker"] == {"ok": True, "detail": "reachable"}


def test_unreachable_broker_is_503(api_client, db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    from streamrec.celery import app

    app.conf.broker_url = settings.CELERY_BROKER_URL
    try:
        response = api_client.get("/api/v1/health/")
    finally:
        app.conf.broker_url = None
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable" and response.json()["broker"]["ok"] is False


def test_database_failure_is_503(api_client, db, monkeypatch):
    from recommender import health

    def broken():
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "check_database", lambda: {"ok": False, "detail": "OperationalError: connection refused"})
    response = api_client.get("/api/v1/health/")
    assert response.status_code == 503 and response.json()["database"]["ok"] is False

"""The trivial JSON endpoint (the load bench's floor): no authentication, throttling or database."""
from django.test.utils import CaptureQueriesContext
from django.db import connection

from .api_fixtures import *  # noqa: F401,F403


def test_ping_answers_ok_without_touching_the_database(api_client, db):
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get("/api/v1/ping/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(queries) == 0


def test_ping_ignores_credentials_and_is_never_throttled(api_client, db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "1/min"}}
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert all(api_client.get("/api/v1/ping/").status_code == 200 for _ in range(3))

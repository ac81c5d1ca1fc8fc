"""One error format for every 4xx of the API: status, code, detail, and field keys for invalid input."""
import pytest

from .api_fixtures import *  # noqa: F401,F403
from .conftest import PASSWORD


def assert_error(response, status: int, code: str | None = None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status and isinstance(body["detail"], str) and body["detail"]
    if code:
        assert body["code"] == code
    for key, value in body.items():
        if key not in {"status", "code", "detail"}:
            assert isinstance(value, list) and all(isinstance(message, str) for message in value), (key, value)
    return body


def test_400_names_every_invalid_field(token_client, catalog):
    body = assert_error(token_client.post("/api/v1/me/ratings/", {"title": "x", "score": 9}, format="json"), 400)
    assert set(body) == {"status", "code", "detail", "title", "score"}
    assert body["detail"].startswith("title: ")


def test_400_nested_fields_are_dotted(token_client, catalog):
    body = assert_error(
        token_client.post("/api/v1/me/ratings/sync/", {"changes": [{"title": catalog["heat"].pk, "score": 1}, {"score": 2.2}]}, format="json"),
        400,
    )
    assert set(body) - {"status", "code", "detail"} == {"changes.1.title", "changes.1.score"}


def test_400_from_a_service_validation_error(token_client, catalog):
    body = assert_error(token_client.post("/api/v1/auth/register/", {"username": "zed", "password": "short"}, format="json"), 400)
    assert "password" in body


def test_400_malformed_json(token_client, db):
    response = token_client.generic("POST", "/api/v1/me/ratings/", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_401(api_client, db):
    assert_error(api_client.get("/api/v1/me/ratings/"), 401, "not_authenticated")


def test_403_csrf(user, catalog):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert_error(client.delete(f"/api/v1/me/ratings/{catalog['heat'].pk}/"), 403, "permission_denied")


@pytest.mark.parametrize("path", ["/api/v1/titles/999999/", "/api/v1/people/999999/", "/api/v1/titles/?page=50", "/api/v1/me/ratings/999999/"])
def test_404(token_client, db, path):
    assert_error(token_client.get(path), 404, "not_found")


def test_405(token_client, db):
    response = token_client.delete("/api/v1/titles/")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_415(token_client, db):
    response = token_client.generic("POST", "/api/v1/me/ratings/", "title=1", content_type="text/csv")
    assert_error(response, 415, "unsupported_media_type")


def test_429(api_client, user, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": "1/min"}}
    api_client.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
    body = assert_error(api_client.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"), 429, "throttled")
    assert "seconds" in body["detail"]

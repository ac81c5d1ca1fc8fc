"""The OpenAPI schema: valid, documented, served with local Swagger UI / Redoc assets, and fuzzed by
schemathesis against the app itself (anonymous and signed in): no 5xx, no response that breaks the schema."""
import collections

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_headers_conformance, response_schema_conformance, status_code_conformance,
)

from .api_fixtures import *  # noqa: F401,F403
from .api_fixtures import client_for

# --- The schema itself ------------------------------------------------------------------------------------


@pytest.fixture
def openapi(db):
    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_is_valid_openapi_3(openapi):
    validate_schema(openapi)
    assert openapi["openapi"].startswith("3.")


def test_schema_is_served_as_json_and_yaml(api_client, db):
    as_json = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert as_json.status_code == 200 and as_json.json()["info"]["title"] == "StreamRec API"
    assert api_client.get("/api/v1/schema/").content.startswith(b"openapi: 3")


EXPECTED_OPERATIONS = {
    ("post", "/api/v1/auth/register/"), ("post", "/api/v1/auth/token/"), ("post", "/api/v1/auth/logout/"),
    ("get", "/api/v1/me/"), ("get", "/api/v1/titles/"), ("get", "/api/v1/titles/{id}/"),
    ("get", "/api/v1/titles/{id}/similar/"), ("get", "/api/v1/titles/{id}/score/"),
    ("get", "/api/v1/people/"), ("get", "/api/v1/people/{id}/"), ("get", "/api/v1/genres/"), ("get", "/api/v1/platforms/"),
    ("get", "/api/v1/facts/releases-per-month/"), ("get", "/api/v1/facts/releases-per-weekday/"),
    ("get", "/api/v1/me/ratings/"), ("post", "/api/v1/me/ratings/"), ("post", "/api/v1/me/ratings/sync/"),
    ("get", "/api/v1/me/ratings/{title_id}/"), ("put", "/api/v1/me/ratings/{title_id}/"),
    ("patch", "/api/v1/me/ratings/{title_id}/"), ("delete", "/api/v1/me/ratings/{title_id}/"),
    ("get", "/api/v1/me/watchlist/"), ("post", "/api/v1/me/watchlist/"), ("delete", "/api/v1/me/watchlist/{title_id}/"),
    ("get", "/api/v1/me/not-interested/"), ("post", "/api/v1/me/not-interested/"),
    ("delete", "/api/v1/me/not-interested/{title_id}/"), ("get", "/api/v1/me/recommendations/"), ("get", "/api/v1/health/"),
    ("get", "/api/v1/me/watch-events/"), ("post", "/api/v1/me/watch-events/"), ("delete", "/api/v1/me/watch-events/{id}/"),
    ("get", "/api/v1/ping/"), ("get", "/api/v1/me/services/"), ("put", "/api/v1/me/services/"), ("get", "/api/v1/me/export/"),
}


def operations(openapi):
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def test_schema_lists_every_endpoint(openapi):
    assert {(method, path) for method, path, _ in operations(openapi)} == EXPECTED_OPERATIONS


def test_every_error_response_uses_the_error_object(openapi):
    error = {"$ref": "#/components/schemas/Error"}
    for method, path, operation in operations(openapi):
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                assert response["content"]["application/json"]["schema"] == error, (method, path, status)
    assert openapi["components"]["schemas"]["Error"]["additionalProperties"] == {"type": "array", "items": {"type": "string"}}


def test_personal_operations_document_401_and_everything_documents_429(openapi):
    for method, path, operation in operations(openapi):
        if path in ("/api/v1/health/", "/api/v1/ping/"):
            continue
        assert "429" in operation["responses"], (method, path)
        if "/me/" in path or path.endswith("/logout/"):
            assert "401" in operation["responses"], (method, path)
            assert {} not in operation.get("security", []), (method, path)


@pytest.mark.parametrize("path,asset", [("/api/v1/docs/", b"swagger-ui"), ("/api/v1/redoc/", b"redoc")])
def test_docs_pages_use_local_assets(client, db, path, asset):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content
    assert asset in html and b"/static/drf_spectacular_sidecar/" in html
    assert b"cdn." not in html and b"jsdelivr" not in html and b"unpkg" not in html


# --- schemathesis -----------------------------------------------------------------------------------------

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance]
FUZZ = hypothesis_settings(
    max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck),
)
STATS: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)


@pytest.fixture(scope="module", autouse=True)
def report_fuzzing(request):
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        for mode, counts in sorted(STATS.items()):
            statuses = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items(), key=str) if isinstance(status, int))
            reporter.write_line(f"\nschemathesis {mode}: {counts['total']} requests, {counts['failures']} failures (status {statuses})")


@pytest.fixture
def api_schema(rated_catalog, user, settings):
    """The live schema, fetched from the WSGI app. Requests run inside the test's transaction: the
    handler must not close the connection at the end of each request, as Django's test client ensures."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {scope: "100000/min" for scope in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]},
    }
    cache.clear()
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def auth_headers(user):
    return {"Authorization": client_for(user)._credentials["HTTP_AUTHORIZATION"]}


schema = schemathesis.pytest.from_fixture("api_schema")


def call(case, mode: str, headers=None):
    STATS[mode]["total"] += 1
    try:
        response = case.call_and_validate(checks=CHECKS, headers=headers)
    except Exception:
        STATS[mode]["failures"] += 1
        raise
    STATS[mode][response.status_code] += 1
    return response


@pytest.mark.slow
@schema.parametrize()
@FUZZ
def test_api_fuzzed_anonymously(case):
    call(case, "anonymous")


@pytest.mark.slow
@schema.parametrize()
@FUZZ
def test_api_fuzzed_signed_in(case, auth_headers):
    if case.path == "/api/v1/auth/logout/":
        return  # revoking the token would sign the rest of this run out
    call(case, "signed in", headers=auth_headers)

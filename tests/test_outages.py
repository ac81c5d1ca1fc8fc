"""Pages and the API when PostgreSQL is unreachable: a styled 503 / JSON error, never a stack trace."""
import pytest
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database_down():
    """Point the connection at a closed port: every query now fails as in a real outage."""
    if connection.vendor != "postgresql":
        pytest.skip("simulates a PostgreSQL outage")
    connection.close()
    real_port = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = "1"
    yield real_port
    connection.close()
    connection.settings_dict["PORT"] = real_port


def test_pages_answer_503_in_the_site_style(database_down):
    response = Client(raise_request_exception=False).get("/titles/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"We will be right back" in response.content
    assert b"Traceback" not in response.content and b"OperationalError" not in response.content


def test_api_answers_json_503(database_down):
    response = Client(raise_request_exception=False).get("/api/v1/titles/")
    assert response.status_code == 503
    assert response.json() == {"detail": "The service is temporarily unavailable; retry shortly.", "code": "service_unavailable"}


def test_site_recovers_without_restart_when_the_database_returns(database_down):
    client = Client(raise_request_exception=False)
    assert client.get("/titles/").status_code == 503
    connection.close()
    connection.settings_dict["PORT"] = database_down
    assert client.get("/titles/").status_code == 200

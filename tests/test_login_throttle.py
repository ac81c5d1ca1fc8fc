"""Failed logins per account are bounded per hour, on the login page and the API alike."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from streamrec.models import LoginFailure

from .conftest import PASSWORD


@pytest.fixture
def limit(settings):
    settings.LOGIN_FAILURES_PER_HOUR = 3
    return 3


def fail_logins(client, username: str, times: int):
    for _ in range(times):
        client.post(reverse("login"), {"username": username, "password": "wrong-password"})


def test_failed_logins_are_recorded(client, user):
    fail_logins(client, "alice", 2)
    assert LoginFailure.objects.filter(username="alice").count() == 2


def test_too_many_failures_lock_the_account_even_with_the_right_password(client, user, limit):
    fail_logins(client, "alice", limit)
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_lock_also_holds_for_the_api_token_endpoint(client, user, limit):
    fail_logins(client, "alice", limit)
    response = APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code in (400, 403, 429)
    assert "token" not in response.json()


def test_other_accounts_are_not_locked(client, user, other_user, limit):
    fail_logins(client, "alice", limit)
    assert client.login(username="bob", password=PASSWORD)


def test_failures_older_than_an_hour_do_not_count(client, user, limit):
    fail_logins(client, "alice", limit)
    LoginFailure.objects.update(failed_at=timezone.now() - timedelta(hours=1, minutes=1))
    assert client.login(username="alice", password=PASSWORD)


def test_username_case_does_not_dodge_the_limit(client, user, limit):
    fail_logins(client, "ALICE", limit)
    assert not client.login(username="alice", password=PASSWORD)

"""Tokens kept in memory are revoked in time: at once in the process that revokes them (sign-out,
account deactivated or deleted), within revisions.RECHECK_SECONDS in every other."""
import pytest
from django.contrib.auth import get_user_model
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from streamrec import revisions, token_auth
from streamrec.models import Revision

pytestmark = pytest.mark.django_db
ME = "/api/v1/me/"


@pytest.fixture
def clock(fake_clock):
    return fake_clock(revisions, token_auth)


def client_for(user) -> tuple[APIClient, str]:
    key = Token.objects.get_or_create(user=user)[0].key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client, key


def test_a_kept_token_costs_no_query(user, clock):
    client, _ = client_for(user)
    assert client.get(ME).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(ME).json()["username"] == user.username
    assert not any("authtoken_token" in query["sql"] for query in queries)


def test_sign_out_revokes_at_once(user, clock):
    client, _ = client_for(user)
    assert client.get(ME).status_code == 200
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get(ME).status_code == 401


@pytest.mark.parametrize("change", ["deactivate", "delete"])
def test_account_changes_revoke_at_once(user, clock, change):
    client, _ = client_for(user)
    assert client.get(ME).status_code == 200
    if change == "deactivate":
        user.is_active = False
        user.save()
    else:
        user.delete()
    assert client.get(ME).status_code == 401


def test_signing_in_elsewhere_does_not_drop_kept_tokens(user, other_user, clock):
    client, _ = client_for(user)
    assert client.get(ME).status_code == 200
    other_user.last_login = other_user.date_joined
    other_user.save(update_fields=["last_login"])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(ME).status_code == 200
    assert not any("authtoken_token" in query["sql"] for query in queries)


def test_a_token_revoked_by_another_process_is_refused_within_the_recheck(user, clock):
    client, key = client_for(user)
    assert client.get(ME).status_code == 200
    # Another process revokes it: the row goes and the revision moves, with no signal here.
    Token.objects.filter(key=key)._raw_delete(Token.objects.db)
    Revision.objects.update_or_create(name=token_auth.AUTH_REVISION, defaults={"number": 0})
    Revision.objects.filter(name=token_auth.AUTH_REVISION).update(number=F("number") + 7)
    clock.now += revisions.RECHECK_SECONDS / 2
    assert client.get(ME).status_code == 200  # still kept here, for at most the recheck interval
    clock.now += revisions.RECHECK_SECONDS
    assert client.get(ME).status_code == 401


def test_kept_users_expire(user, clock):
    client, _ = client_for(user)
    assert client.get(ME).status_code == 200
    get_user_model().objects.filter(pk=user.pk).update(username="renamed-elsewhere")
    clock.now += token_auth.TOKEN_CACHE_SECONDS + 1
    revisions.recheck()
    assert client.get(ME).json()["username"] == "renamed-elsewhere"

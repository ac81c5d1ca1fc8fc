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


def client_for(user) -> tuple[APIClient, str]:
    key = Token.objects.get_or_create(user=user)[0].key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client, key


def test_a_kept_token_costs_no_query(user, fake_clock):
    client, _ = client_for(user)
    assert client.get(ME).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(ME).json()["username"] == user.username
    assert not any("authtoken_token" in query["sql"] for query in queries)


def test_sign_out_revokes_at_once(user, fake_clock):
    client, _ = client_for(user)
    assert client.get(ME).status_code == 200
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get(ME).status_code == 401


@pytest.mark.parametrize("change", ["deactivate", "delete"])
def test_account_changes_revoke_at_once(user, fake_clock, change):
    client, _ = client_for(user)
    assert client.get(ME).status_code == 200
    if change == "deactivate":
        user.is_active = False
        user.save()
    else:
        user.delete()
    assert client.get(ME).status_code == 401


def test_signing_in_elsewhere_does_not_drop_kept_tokens(user, other_user, fake_clock):
    client, _ = client_for(user)
    assert client.get(ME).status_code == 200
    other_user.last_login = other_user.date_joined
    other_user.save(update_fields=["last_login"])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(ME).status_code == 200
    assert not any("authtoken_token" in query["sql"] for query in queries)


def test_a_token_revoked_by_another_process_is_refused_within_the_recheck(user, fake_clock):
    client, key = client_for(user)
    assert client.get(ME).status_code == 200
    # Another process revokes it: the row goes and the revision moves, with no signal here.
    Token.objects.filter(key=key)._raw_delete(Token.objects.db)
    Revision.objects.update_or_create(name=token_auth.AUTH_REVISION, defaults={"number": 0})
    Revision.objects.filter(name=token_auth.AUTH_REVISION).update(number=F("number") + 7)
    fake_clock.now += revisions.RECHECK_SECONDS / 2
    assert client.get(ME).status_code == 200  # still kept here, for at most the recheck interval
    fake_clock.now += revisions.RECHECK_SECONDS
    assert client.get(ME).status_code == 401


def test_kept_users_expire(user, fake_clock):
    client, _ = client_for(user)
    assert client.get(ME).status_code == 200
    get_user_model().objects.filter(pk=user.pk).update(username="renamed-elsewhere")
    fake_clock.now += token_auth.TOKEN_CACHE_SECONDS + 1
    revisions.recheck()
    assert client.get(ME).json()["username"] == "renamed-elsewhere"


def test_a_user_read_while_kept_tokens_are_dropped_is_not_kept(user, fake_clock, monkeypatch):
    client, key = client_for(user)
    read = token_auth.user_for_token

    def read_while_revoked(token_key):
        found = read(token_key)
        revisions.bump(token_auth.AUTH_REVISION)  # a revocation lands after this read
        return found

    monkeypatch.setattr(token_auth, "user_for_token", read_while_revoked)
    assert client.get(ME).status_code == 200
    monkeypatch.setattr(token_auth, "user_for_token", read)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(ME).status_code == 200
    assert any("authtoken_token" in query["sql"] for query in queries)  # read again, not kept


def test_a_password_rehash_keeps_tokens(user, fake_clock):
    client, _ = client_for(user)
    assert client.get(ME).status_code == 200
    user.save(update_fields=["password"])  # what a sign-in does when the hasher changed
    with CaptureQueriesContext(connection) as queries:
        assert client.get(ME).status_code == 200
    assert not any("authtoken_token" in query["sql"] for query in queries)


def test_a_revocation_moves_the_auth_revision_once_it_commits(user, django_capture_on_commit_callbacks):
    client, _ = client_for(user)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        assert client.post("/api/v1/auth/logout/").status_code == 204
    assert not Revision.objects.filter(name=token_auth.AUTH_REVISION, number__gt=0).exists()  # not before the commit
    for callback in pending:
        callback()
    assert Revision.objects.get(name=token_auth.AUTH_REVISION).number == 1

"""API tokens (``streamrec.authentication``, DRF's ``TokenAuthentication`` with one plain query): every request reads the token and its user from
the database, nothing is kept in a process, so a revoked token (sign-out), a deactivated or deleted
account is refused on the very next request, by every client and every process, whichever way the
change was made."""
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db
ME = "/api/v1/me/"
User = get_user_model()


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def clients_for(user) -> tuple[APIClient, APIClient, str]:
    """Two clients holding ``user``'s token (two devices, or two web processes serving them), and the key."""
    key = Token.objects.get_or_create(user=user)[0].key
    return client_with(key), client_with(key), key


def token_queries(queries) -> list[str]:
    return [query["sql"] for query in queries if Token._meta.db_table in query["sql"]]


def test_every_request_reads_the_token_from_the_database(user):
    client, _, _ = clients_for(user)
    assert client.get(ME).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(ME).json()["username"] == user.username
    assert len(token_queries(queries)) == 1  # nothing kept from the first request


def test_sign_out_revokes_at_once_for_every_client(user):
    client, elsewhere, key = clients_for(user)
    assert client.get(ME).status_code == elsewhere.get(ME).status_code == 200
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert not Token.objects.filter(key=key).exists()
    assert client.get(ME).status_code == 401
    refused = elsewhere.get(ME)
    assert refused.status_code == 401 and refused.json()["code"] == "authentication_failed"


def test_signing_in_again_after_sign_out_gives_a_new_token(api_client, user):
    client, _, key = clients_for(user)
    client.post("/api/v1/auth/logout/")
    new_key = api_client.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json").json()["token"]
    assert new_key != key
    assert client_with(key).get(ME).status_code == 401
    assert client_with(new_key).get(ME).status_code == 200


def test_a_token_deleted_by_another_process_is_refused_on_the_next_request(user):
    client, elsewhere, key = clients_for(user)
    assert client.get(ME).status_code == elsewhere.get(ME).status_code == 200
    # Another process (a staff action, a shell) deletes the row: no signal reaches this one.
    Token.objects.filter(key=key)._raw_delete(Token.objects.db)
    assert client.get(ME).status_code == 401
    assert elsewhere.get(ME).status_code == 401


@pytest.mark.parametrize("how", ["save", "update elsewhere"])
def test_a_deactivated_account_is_refused_at_once(user, how):
    client, elsewhere, key = clients_for(user)
    assert client.get(ME).status_code == elsewhere.get(ME).status_code == 200
    if how == "save":
        user.is_active = False
        user.save()
    else:  # another process (the admin's "deactivate" on another web process), no signals here
        User.objects.filter(pk=user.pk).update(is_active=False)
    for each in (client, elsewhere):
        refused = each.get(ME)
        assert refused.status_code == 401 and refused.json()["code"] == "authentication_failed"
    assert Token.objects.filter(key=key).exists()  # the token stays, refused while the account is inactive
    User.objects.filter(pk=user.pk).update(is_active=True)
    assert client.get(ME).status_code == 200


@pytest.mark.parametrize("how", ["model delete", "account page"])
def test_a_deleted_account_is_refused_at_once(user, how):
    client, elsewhere, key = clients_for(user)
    assert client.get(ME).status_code == elsewhere.get(ME).status_code == 200
    if how == "model delete":
        user.delete()
    else:
        from django.test import Client

        browser = Client()
        browser.force_login(user)
        assert browser.post("/accounts/delete/", {"password": PASSWORD}).status_code == 302
    assert not User.objects.filter(pk=user.pk).exists() and not Token.objects.filter(key=key).exists()
    assert client.get(ME).status_code == 401
    assert elsewhere.get(ME).status_code == 401


def test_a_change_of_the_account_elsewhere_shows_on_the_next_request(user):
    client, _, _ = clients_for(user)
    assert client.get(ME).json()["username"] == user.username
    User.objects.filter(pk=user.pk).update(username="renamed-elsewhere")
    assert client.get(ME).json()["username"] == "renamed-elsewhere"


def test_signing_in_elsewhere_keeps_the_token(api_client, user):
    client, _, key = clients_for(user)
    assert client.get(ME).status_code == 200
    signed_in = api_client.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert signed_in.json()["token"] == key  # the same token on every sign-in
    assert client.get(ME).status_code == 200


def test_a_password_rehash_at_sign_in_keeps_the_token(api_client, user):
    from django.contrib.auth.hashers import make_password

    client, _, key = clients_for(user)
    User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    assert api_client.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json").json()["token"] == key
    assert User.objects.get(pk=user.pk).password.startswith("argon2$")  # re-hashed by the sign-in
    assert client.get(ME).status_code == 200


def test_a_password_change_does_not_revoke_api_tokens(user, logged_in_client):
    """Today's behaviour: a token is not tied to the password; only sign-out, deactivation and
    deletion end it."""
    client, elsewhere, key = clients_for(user)
    new_password = "An0ther-good-one!"
    response = logged_in_client.post(
        "/accounts/password_change/", {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password}
    )
    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).check_password(new_password)
    assert Token.objects.filter(key=key).exists()
    assert client.get(ME).status_code == elsewhere.get(ME).status_code == 200

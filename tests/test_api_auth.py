"""Accounts over the API: sign up, token, sign out, who am I, session auth, and the stricter auth throttle."""
import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ratings.models import Rating

from .api_fixtures import *  # noqa: F401,F403
from .api_fixtures import client_for
from .conftest import PASSWORD

User = get_user_model()


def test_register_answers_id_username_and_token(api_client, db):
    body = api_client.post("/api/v1/auth/register/", {"username": "carol", "password": PASSWORD}, format="json").json()
    user = User.objects.get(username="carol")
    assert body == {"id": user.pk, "username": "carol", "token": Token.objects.get(user=user).key}
    assert user.check_password(PASSWORD)


def test_register_requires_both_fields(api_client, db):
    response = api_client.post("/api/v1/auth/register/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"username", "password", "status", "code", "detail"}


def test_register_refuses_an_invalid_username(api_client, db):
    response = api_client.post("/api/v1/auth/register/", {"username": "no spaces!", "password": PASSWORD}, format="json")
    assert response.status_code == 400 and "username" in response.json()


def test_token_is_the_same_on_every_sign_in(api_client, user):
    first = api_client.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json").json()
    second = api_client.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json").json()
    assert first == second == {"token": Token.objects.get(user=user).key}


def test_new_passwords_use_argon2_and_older_pbkdf2_ones_still_sign_in_and_are_upgraded(api_client, user):
    from django.contrib.auth.hashers import make_password

    assert user.password.startswith("argon2$")
    User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    response = api_client.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.password.startswith("argon2$") and user.check_password(PASSWORD)


def test_token_refused_for_unknown_user(api_client, db):
    response = api_client.post("/api/v1/auth/token/", {"username": "ghost", "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "authorization"


def test_logout_revokes_the_token(user):
    client = client_for(user)
    assert client.get("/api/v1/me/").status_code == 200
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert not Token.objects.filter(user=user).exists()
    assert client.get("/api/v1/me/").status_code == 401


def test_logout_needs_authentication(api_client, db):
    assert api_client.post("/api/v1/auth/logout/").status_code == 401


def test_me_counts_my_things(token_client, user, catalog):
    Rating.objects.create(user=user, title=catalog["heat"], score=4.0)
    body = token_client.get("/api/v1/me/").json()
    assert body == {"id": user.pk, "username": "alice", "rating_count": 1, "watchlist_count": 0, "not_interested_count": 0}


def test_invalid_token_is_401_with_the_error_format(api_client, db):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert response["WWW-Authenticate"] == "Token"


def test_session_authentication_for_the_browser(client, user, catalog):
    """A signed-in browser uses the API with its session cookie; writes need the CSRF token."""
    client.force_login(user)
    assert client.get("/api/v1/me/").json()["username"] == "alice"
    csrf_client = APIClient(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    refused = csrf_client.post("/api/v1/me/ratings/", {"title": catalog["heat"].pk, "score": 4.0}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert not Rating.objects.exists()


def test_browsable_api_login_page(client, db):
    response = client.get("/api/v1/auth/session/login/")
    assert response.status_code == 200 and b"csrfmiddlewaretoken" in response.content


# Throttling


@pytest.fixture
def strict_auth(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": "3/min"}}


def test_sign_in_is_throttled_with_retry_after(api_client, user, strict_auth):
    for _ in range(3):
        assert api_client.post("/api/v1/auth/token/", {"username": "alice", "password": "wrong"}, format="json").status_code == 400
    response = api_client.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["code"] == "throttled" and response.json()["status"] == 429


def test_sign_up_is_throttled_with_retry_after(api_client, db, strict_auth):
    for index in range(3):
        api_client.post("/api/v1/auth/register/", {"username": f"user{index}", "password": PASSWORD}, format="json")
    response = api_client.post("/api/v1/auth/register/", {"username": "one-too-many", "password": PASSWORD}, format="json")
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert not User.objects.filter(username="one-too-many").exists()


def test_sign_in_and_sign_up_share_the_auth_budget(api_client, user, strict_auth):
    api_client.post("/api/v1/auth/register/", {"username": "x1", "password": PASSWORD}, format="json")
    api_client.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
    api_client.post("/api/v1/auth/register/", {"username": "x2", "password": PASSWORD}, format="json")
    assert api_client.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json").status_code == 429


def test_auth_throttle_is_stricter_than_the_general_one(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    per_minute = {scope: int(rate.split("/")[0]) for scope, rate in rates.items()}
    assert per_minute["auth"] < per_minute["anon"] < per_minute["user"]


def test_other_endpoints_are_not_limited_by_the_auth_scope(api_client, user, catalog, strict_auth):
    for _ in range(4):
        api_client.post("/api/v1/auth/token/", {"username": "alice", "password": "wrong"}, format="json")
    assert api_client.get("/api/v1/titles/").status_code == 200


def test_anonymous_calls_are_throttled_per_ip(api_client, catalog, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "2/min"}}
    assert api_client.get("/api/v1/genres/").status_code == 200
    assert api_client.get("/api/v1/titles/").status_code == 200
    response = api_client.get("/api/v1/genres/")
    assert response.status_code == 429 and "Retry-After" in response


def test_signed_in_users_have_their_own_budget(token_client, bob_client, catalog, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "2/min"}}
    assert token_client.get("/api/v1/me/").status_code == 200
    assert token_client.get("/api/v1/me/").status_code == 200
    assert token_client.get("/api/v1/me/").status_code == 429
    assert bob_client.get("/api/v1/me/").status_code == 200


def test_health_is_never_throttled(api_client, db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "1/min"}}
    assert all(api_client.get("/api/v1/health/").status_code == 200 for _ in range(3))


def test_the_user_budget_is_counted_in_the_shared_cache(token_client, user, catalog, settings):
    """DRF's history of the account's requests is kept in the default cache, which every web process
    shares: another client (another process) with the same account spends the same budget, and the
    count lives nowhere else (evicting it gives the budget back)."""
    from django.core.cache import caches

    from streamrec.cache import shared
    from streamrec.throttles import AnonThrottle, ScopedThrottle, UserThrottle

    assert all(throttle.cache is shared for throttle in (AnonThrottle, ScopedThrottle, UserThrottle))
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "2/min"}}
    assert token_client.get("/api/v1/me/").status_code == 200
    assert client_for(user).get("/api/v1/me/").status_code == 200
    key = f"throttle_user_{user.pk}"
    assert len(caches["default"].get(key)) == 2
    assert client_for(user).get("/api/v1/me/").status_code == 429
    caches["default"].delete(key)
    assert token_client.get("/api/v1/me/").status_code == 200

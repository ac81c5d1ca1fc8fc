"""Sign-in and sign-up are throttled everywhere (API, login and sign-up pages, admin and browsable-API
login) from one per-IP budget whose counters are shared by every web process; a made-up
X-Forwarded-For does not buy a fresh budget; failed logins stay bounded per account whatever the
door; password validators refuse weak passwords on every form that sets one."""
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from streamrec.models import LoginFailure

from .conftest import PASSWORD, make_user
from .security_urls import fast_password_hashing

User = get_user_model()
LIMIT = 3


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    fast_password_hashing(settings)


@pytest.fixture
def strict_auth(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": f"{LIMIT}/min"},
    }


def signup(client, username, ip="10.0.0.1", **extra):
    return client.post("/accounts/signup/", {"username": username, "password1": PASSWORD, "password2": PASSWORD}, REMOTE_ADDR=ip, **extra)


def login(client, url="/accounts/login/", username="alice", password="wrong-password", ip="10.0.0.1", **extra):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


# Sign-up and sign-in pages: one per-IP budget, shared with the API


@pytest.mark.django_db
def test_signup_page_is_throttled_with_retry_after(strict_auth):
    for index in range(LIMIT):
        assert signup(Client(), f"user{index}").status_code == 302
    response = signup(Client(), "one-too-many")
    assert response.status_code == 429 and 1 <= int(response["Retry-After"]) <= 60
    assert "Too many attempts" in response.content.decode()
    assert not User.objects.filter(username="one-too-many").exists()


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/", "/api/v1/auth/session/login/"])
def test_login_pages_are_throttled_even_for_the_right_password(user, strict_auth, url):
    client = Client()
    for _ in range(LIMIT):
        login(client, url)
    response = login(client, url, password=PASSWORD)
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert "_auth_user_id" not in client.session


def test_pages_and_api_share_the_sign_in_budget(user, strict_auth):
    APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": "wrong"}, format="json", REMOTE_ADDR="10.0.0.1")
    APIClient().post("/api/v1/auth/register/", {"username": "zed", "password": PASSWORD}, format="json", REMOTE_ADDR="10.0.0.1")
    signup(Client(), "carol")
    assert login(Client(), password=PASSWORD).status_code == 429
    assert APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json", REMOTE_ADDR="10.0.0.1").status_code == 429


def test_another_address_has_its_own_budget(user, strict_auth):
    for _ in range(LIMIT + 1):
        login(Client())
    assert login(Client(), password=PASSWORD, ip="10.0.0.2").status_code == 302


def test_reading_the_login_page_costs_nothing(user, strict_auth):
    client = Client()
    for _ in range(LIMIT + 2):
        assert client.get("/accounts/login/", REMOTE_ADDR="10.0.0.1").status_code == 200
    assert login(client, password=PASSWORD).status_code == 302


def test_a_made_up_forwarded_for_header_does_not_buy_a_fresh_budget(user, strict_auth):
    for index in range(LIMIT):
        APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": "x"}, format="json", HTTP_X_FORWARDED_FOR=f"203.0.113.{index}")
    response = APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json", HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 429
    assert login(Client(), password=PASSWORD, ip="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429


def test_behind_a_trusted_proxy_the_client_address_from_the_proxy_counts(user, strict_auth, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for _ in range(LIMIT):
        login(Client(), ip="10.9.9.9", HTTP_X_FORWARDED_FOR="spoofed, 198.51.100.1")
    assert login(Client(), password=PASSWORD, ip="10.9.9.9", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    assert login(Client(), password=PASSWORD, ip="10.9.9.9", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 302


def test_proxies_are_not_trusted_by_default():
    assert django_settings.REST_FRAMEWORK["NUM_PROXIES"] == 0


# Counters shared by every web process


def test_throttle_counters_live_in_the_shared_cache(user, strict_auth):
    for _ in range(LIMIT):
        login(Client())
    key = "throttle_auth_10.0.0.1"  # DRF's key: the scope and the client address
    assert len(caches["default"].get(key)) == LIMIT
    assert login(Client(), password=PASSWORD).status_code == 429
    caches["default"].delete(key)  # the count is kept nowhere else: evicted, the budget is back
    assert login(Client(), password=PASSWORD).status_code == 302


def test_the_throttle_cache_is_shared_by_every_process():
    from django.core.cache.backends.db import DatabaseCache
    from django.core.cache.backends.redis import RedisCache

    from streamrec.cache import shared
    from streamrec.throttles import AnonThrottle, ScopedThrottle, UserThrottle

    assert all(throttle.cache is shared for throttle in (AnonThrottle, ScopedThrottle, UserThrottle))
    assert shared.backend is caches["default"]
    # Redis (STREAMREC_CACHE_URL) or the database table: never one process's memory.
    assert isinstance(caches["default"], (RedisCache, DatabaseCache))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_attempts_in_another_process_count_here(strict_auth):
    """A second web process (a real one, on the same database) spends the budget; this one refuses."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a database another process can open")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "STREAMREC_THROTTLE_AUTH": f"{LIMIT}/min",
        "DJANGO_SETTINGS_MODULE": "streamrec.settings",
    }
    env.pop("CELERY_BROKER_URL", None)
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        f"print([Client().post('/accounts/login/', {{'username': 'x', 'password': 'y'}}).status_code for _ in range({LIMIT})])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=django_settings.BASE_DIR, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == str([200] * LIMIT)
    assert login(Client(), username="x", password="y", ip="127.0.0.1").status_code == 429


# Failed logins per account per hour, whatever the door and the address


@pytest.fixture
def lock_after(settings):
    settings.LOGIN_FAILURES_PER_HOUR = LIMIT
    return LIMIT


@pytest.mark.parametrize("url", ["/admin/login/", "/api/v1/auth/session/login/"])
def test_account_lock_holds_on_the_admin_and_browsable_api_logins(user, lock_after, url):
    for index in range(LIMIT):
        login(Client(), ip=f"10.1.0.{index}")
    user.is_staff = True
    user.save()
    client = Client()
    login(client, url, password=PASSWORD, ip="10.2.0.1")
    assert "_auth_user_id" not in client.session


def test_failures_from_many_addresses_lock_the_same_account(user, lock_after):
    for index in range(LIMIT):
        login(Client(), ip=f"10.3.0.{index}")
    APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": "x"}, format="json", REMOTE_ADDR="10.4.0.1")
    assert LoginFailure.objects.filter(username="alice").count() == LIMIT + 1
    response = APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json", REMOTE_ADDR="10.5.0.1")
    assert response.status_code == 400 and "token" not in response.json()


def test_signing_up_again_with_a_locked_name_does_not_unlock_it(user, lock_after):
    for index in range(LIMIT):
        login(Client(), ip=f"10.6.0.{index}")
    assert signup(Client(), "alice", ip="10.7.0.1").status_code == 400
    assert signup(Client(), "ALICE", ip="10.7.0.2").status_code == 400
    assert login(Client(), password=PASSWORD, ip="10.7.0.3").status_code == 200  # the form again, not signed in


def test_the_lock_is_the_same_answer_as_a_wrong_password(user, lock_after):
    """A locked account looks like a wrong password: no hint that the name exists or is under attack."""
    wrong = login(Client(), ip="10.8.0.1").content.decode()
    for index in range(LIMIT):
        login(Client(), ip=f"10.8.1.{index}")
    locked = login(Client(), password=PASSWORD, ip="10.8.2.1").content.decode()
    assert "Please enter a correct username and password" in wrong and "Please enter a correct username and password" in locked


# Password validators on every form that sets a password

WEAK = {
    "too short": "Xy7!a",
    "common": "password123",
    "numeric": "83749201937465",
    "like the username": "jonathanjonathan",
}


@pytest.mark.django_db
@pytest.mark.parametrize("password", WEAK.values(), ids=WEAK.keys())
def test_signup_page_refuses_weak_passwords(password):
    response = Client().post("/accounts/signup/", {"username": "jonathanjonathan", "password1": password, "password2": password})
    assert response.status_code == 400 and not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("password", WEAK.values(), ids=WEAK.keys())
def test_api_register_refuses_weak_passwords(password):
    response = APIClient().post("/api/v1/auth/register/", {"username": "jonathanjonathan", "password": password}, format="json")
    assert response.status_code == 400 and "password" in response.json() and not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("password", WEAK.values(), ids=WEAK.keys())
def test_password_change_refuses_weak_passwords(password):
    jonathan = make_user("jonathanjonathan")
    client = Client()
    client.force_login(jonathan)
    response = client.post("/accounts/password_change/", {"old_password": PASSWORD, "new_password1": password, "new_password2": password})
    assert response.status_code == 200
    jonathan.refresh_from_db()
    assert jonathan.check_password(PASSWORD)


def test_all_four_password_validators_are_on():
    names = {v["NAME"].rsplit(".", 1)[-1] for v in django_settings.AUTH_PASSWORD_VALIDATORS}
    assert names >= {"UserAttributeSimilarityValidator", "MinimumLengthValidator", "CommonPasswordValidator", "NumericPasswordValidator"}

"""Production settings, selected by the environment: `manage.py check --deploy` reports nothing at
WARNING level; the secret key comes only from the environment (production refuses to start without
one); DEBUG off, secure and HttpOnly cookies, HSTS, HTTPS redirect, no debug pages."""
import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

BASE_DIR = settings.BASE_DIR
SECRET = secrets.token_urlsafe(60)
HOST = "streamrec.example"


def production_env(**overrides) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "STREAMREC_"))}
    env.pop("CELERY_BROKER_URL", None)
    env.update({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": SECRET, "DJANGO_ALLOWED_HOSTS": HOST, "DJANGO_SETTINGS_MODULE": "streamrec.settings"})
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def run(args, env, timeout=120):
    return subprocess.run([sys.executable, *args], env=env, cwd=BASE_DIR, capture_output=True, text=True, timeout=timeout)


def test_check_deploy_reports_no_issues_in_production():
    done = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_check_deploy_fails_on_a_weak_secret_key():
    """The check is not vacuous: a short key is reported (security.W009)."""
    done = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(DJANGO_SECRET_KEY="too-short"))
    assert done.returncode != 0 and "W009" in done.stdout + done.stderr


@pytest.mark.parametrize("secret", [None, ""], ids=["unset", "empty"])
def test_production_refuses_to_start_without_a_secret_key(secret):
    done = run(["manage.py", "check"], production_env(DJANGO_SECRET_KEY=secret))
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and "DJANGO_SECRET_KEY" in done.stderr


PROBE = """
import json, django
django.setup()
from django.conf import settings as s
from django.test import Client
keys = ["DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
        "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER", "SECURE_CONTENT_TYPE_NOSNIFF", "X_FRAME_OPTIONS", "SECURE_REFERRER_POLICY", "PASSWORD_HASHERS"]
out = {k: getattr(s, k) for k in keys}
# Pages link static files through the manifest that collectstatic writes; not needed to read headers.
from django.test.utils import override_settings
override_settings(STORAGES={**s.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}).enable()
c = Client(raise_request_exception=False)
plain = c.get("/api/v1/ping/", HTTP_HOST="streamrec.example")
secure = c.get("/accounts/login/", HTTP_HOST="streamrec.example", secure=True)
missing = c.get("/no-such-page/", HTTP_HOST="streamrec.example", secure=True)
other_host = c.get("/", HTTP_HOST="evil.example", secure=True)
out["http"] = [plain.status_code, plain.get("Location", "")]
out["hsts"] = secure.get("Strict-Transport-Security", "")
out["csrf_cookie"] = {k: secure.cookies["csrftoken"][k] for k in ("secure", "samesite")} if "csrftoken" in secure.cookies else None
out["not_found"] = [missing.status_code, "Traceback" in missing.content.decode() or "URLconf" in missing.content.decode()]
out["other_host"] = other_host.status_code
print(json.dumps(out, default=str))
"""


@pytest.fixture(scope="module")
def production():
    """Production settings and a few requests, from a fresh process with the production environment."""
    env = production_env(DATABASE_URL=os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))
    done = run(["-c", PROBE], env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_debug_is_off(production):
    assert production["DEBUG"] is False


def test_the_secret_key_is_the_one_from_the_environment(production):
    assert production["SECRET_KEY"] == SECRET


def test_allowed_hosts_come_from_the_environment(production):
    assert production["ALLOWED_HOSTS"] == [HOST]
    assert production["other_host"] == 400


def test_cookies_are_secure_and_the_session_cookie_http_only(production):
    assert production["SESSION_COOKIE_SECURE"] and production["CSRF_COOKIE_SECURE"] and production["SESSION_COOKIE_HTTPONLY"]
    assert production["csrf_cookie"] == {"secure": True, "samesite": "Lax"}


def test_hsts_for_a_year_with_subdomains_and_preload(production):
    assert production["SECURE_HSTS_SECONDS"] >= 31536000
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and production["SECURE_HSTS_PRELOAD"]
    assert production["hsts"] == "max-age=31536000; includeSubDomains; preload"


def test_plain_http_is_redirected_to_https(production):
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["http"] == [301, f"https://{HOST}/api/v1/ping/"]


def test_https_behind_the_proxy_is_recognised(production):
    assert production["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_no_sniffing_no_framing_and_a_referrer_policy(production):
    assert production["SECURE_CONTENT_TYPE_NOSNIFF"] and production["X_FRAME_OPTIONS"] == "DENY"
    assert production["SECURE_REFERRER_POLICY"] == "same-origin"


def test_errors_show_no_debug_page(production):
    assert production["not_found"] == [404, False]


def test_passwords_use_a_strong_hasher(production):
    assert production["PASSWORD_HASHERS"][0].endswith(("PBKDF2PasswordHasher", "Argon2PasswordHasher", "ScryptPasswordHasher", "BCryptSHA256PasswordHasher"))


def test_no_secret_is_written_in_the_settings():
    """The only literal key is the development one, used only with DEBUG on (checked above)."""
    text = (BASE_DIR / "streamrec" / "settings.py").read_text()
    assert text.count('SECRET_KEY = "') == 1 and "django-insecure-development-only" in text
    for needle in ("PASSWORD=", "password=", "AWS_SECRET", "sk_live_"):
        assert needle not in text


def test_no_secret_files_are_tracked():
    try:
        tracked = subprocess.run(["git", "ls-files"], cwd=BASE_DIR, capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    assert not [path for path in tracked if path.endswith((".env", ".pem", ".key", "id_rsa")) or path.split("/")[-1] in {".env", "db.sqlite3"}]

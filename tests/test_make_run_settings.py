"""`make run`'s settings (DJANGO_DEBUG=0 with STREAMREC_LOCAL_HTTP=1): production, but for plain
http on 127.0.0.1 exactly the https-only settings are relaxed; the secret key comes from the file
`make run` generates once; the relaxation refuses a public host name."""
import json
import re
import secrets

import pytest

from .test_security_settings import PROBE, run


def make_run_env(tmp_path, **overrides) -> dict:
    from .test_security_settings import production_env

    key_file = tmp_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50) + "\n")
    env = production_env(DJANGO_SECRET_KEY=None, DJANGO_ALLOWED_HOSTS=None, STREAMREC_LOCAL_HTTP="1",
                         DJANGO_SECRET_KEY_FILE=str(key_file), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("make-run")
    env = make_run_env(tmp_path)
    probe = PROBE.replace("streamrec.example", "127.0.0.1")
    done = run(["-c", probe], env)
    assert done.returncode == 0, done.stderr
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "key": (tmp_path / "secret_key").read_text().strip()}


def test_debug_is_off_and_errors_are_the_styled_pages(local):
    assert local["DEBUG"] is False
    assert local["not_found"] == [404, False]


def test_the_secret_key_is_read_from_the_generated_file(local):
    assert local["SECRET_KEY"] == local["key"] and len(local["key"]) >= 50


def test_only_local_hosts_are_allowed(local):
    assert set(local["ALLOWED_HOSTS"]) <= {"127.0.0.1", "localhost", "testserver", "[::1]"}
    assert local["other_host"] == 400


def test_plain_http_is_served_without_redirect_secure_cookies_or_hsts(local):
    assert local["http"] == [200, ""]
    assert local["SECURE_SSL_REDIRECT"] is False and local["hsts"] == ""
    assert local["SESSION_COOKIE_SECURE"] is False and local["CSRF_COOKIE_SECURE"] is False


def test_everything_else_stays_as_in_production(local):
    assert local["SESSION_COOKIE_HTTPONLY"] and local["SECURE_CONTENT_TYPE_NOSNIFF"] and local["X_FRAME_OPTIONS"] == "DENY"
    assert local["SECURE_REFERRER_POLICY"] == "same-origin"
    assert local["PASSWORD_HASHERS"][0].endswith("Argon2PasswordHasher")


def test_check_deploy_reports_only_the_relaxed_https_settings(tmp_path):
    done = run(["manage.py", "check", "--deploy"], make_run_env(tmp_path))
    warnings = set(re.findall(r"\(security\.(W\d+)\)", done.stdout + done.stderr))
    # W004 HSTS, W008 SSL redirect, W012 session cookie, W016 CSRF cookie: nothing else.
    assert warnings == {"W004", "W008", "W012", "W016"}, done.stdout + done.stderr


def test_local_http_refuses_a_public_host(tmp_path):
    done = run(["manage.py", "check"], make_run_env(tmp_path, DJANGO_ALLOWED_HOSTS="streamrec.example"))
    assert done.returncode != 0 and "STREAMREC_LOCAL_HTTP=1 serves 127.0.0.1 only" in done.stderr


def test_a_missing_secret_key_file_is_a_clear_error(tmp_path):
    done = run(["manage.py", "check"], make_run_env(tmp_path, DJANGO_SECRET_KEY_FILE=str(tmp_path / "nowhere")))
    assert done.returncode != 0 and "DJANGO_SECRET_KEY_FILE" in done.stderr and "No such file" in done.stderr

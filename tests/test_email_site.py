"""The SMTP settings come from the environment. With EMAIL_HOST and EMAIL_PORT pointing at a local
SMTP server (aiosmtpd), a reset requested on the site's form, served by a real web server process
(gunicorn) with its worker, arrives there, and its link works once on that site."""
import json
import os
import re
import subprocess
import sys
import time

import pytest
import requests
from django.contrib.auth import get_user_model

from streamrec.celery import app as celery_app

from .email_fixtures import mailbox, smtp_server  # noqa: F401
from .processes import REPO, database_url, free_port, wait_for
from .smtp import link_in, text_of

User = get_user_model()
NEW_PASSWORD = "An0ther-good-one!"
SHOW_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({k: getattr(s, k) for k in ['EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', 'EMAIL_HOST_USER', "
    "'EMAIL_HOST_PASSWORD', 'EMAIL_USE_TLS', 'DEFAULT_FROM_EMAIL']}))"
)


def settings_with(env: dict) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_") and k != "DEFAULT_FROM_EMAIL"}
    out = subprocess.run([sys.executable, "-c", SHOW_SETTINGS], cwd=REPO, env={**clean, "DJANGO_SETTINGS_MODULE": "streamrec.settings", **env},
                         capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_smtp_settings_come_from_the_environment():
    configured = settings_with({"EMAIL_HOST": "smtp.example.org", "EMAIL_PORT": "587", "EMAIL_HOST_USER": "mailer",
                                "EMAIL_HOST_PASSWORD": "secret", "EMAIL_USE_TLS": "1", "DEFAULT_FROM_EMAIL": "StreamRec <hi@example.org>"})
    assert configured == {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "smtp.example.org",
                          "EMAIL_PORT": 587, "EMAIL_HOST_USER": "mailer", "EMAIL_HOST_PASSWORD": "secret", "EMAIL_USE_TLS": True,
                          "DEFAULT_FROM_EMAIL": "StreamRec <hi@example.org>"}


def test_without_email_host_mail_goes_to_the_console():
    assert settings_with({})["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


class WebServer:
    """gunicorn serving the site on a free port, configured by ``env`` only."""

    def __init__(self, env: dict, log_path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log_path, "w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "streamrec.wsgi:application", "--bind", f"127.0.0.1:{self.port}", "--workers", "1"],
            cwd=REPO, env={**os.environ, "DJANGO_SETTINGS_MODULE": "streamrec.settings", "STREAMREC_SITE_URL": self.url, **env},
            stdout=self.log, stderr=subprocess.STDOUT,
        )

    def answers(self) -> bool:
        try:
            return requests.get(f"{self.url}/api/v1/ping/", timeout=10).status_code == 200
        except requests.RequestException:  # not listening yet, or still loading the site
            return False

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def csrf_post(session: requests.Session, url: str, data: dict) -> requests.Response:
    page = session.get(url, timeout=30)
    assert page.status_code == 200, page.text[:500]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(url, data={**data, "csrfmiddlewaretoken": token}, headers={"Referer": url}, allow_redirects=False, timeout=30)


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_reset_requested_on_the_sites_form_arrives_at_the_configured_smtp_server(
    smtp_server, mailbox, sending_to_broker, start_worker, tmp_path, model_dir, settings
):
    from streamrec import settings as site_settings

    settings.PASSWORD_HASHERS = site_settings.PASSWORD_HASHERS  # as the web process hashes
    User.objects.create_user("dana", email="dana@example.org", password="0ld-password-here")
    env = {**smtp_server.env, "DATABASE_URL": database_url(), "CELERY_BROKER_URL": sending_to_broker.url,
           "STREAMREC_MODEL_DIR": str(model_dir)}
    site = WebServer(env, tmp_path / "gunicorn.log")
    try:
        start_worker(sending_to_broker.url, queue=celery_app.conf.task_default_queue, **env, STREAMREC_SITE_URL=site.url)
        wait_for(site.answers, 120, "gunicorn to answer")
        browser = requests.Session()
        asked = csrf_post(browser, f"{site.url}/accounts/password_reset/", {"email": "dana@example.org"})
        assert asked.status_code == 302 and asked.headers["Location"] == "/accounts/password_reset/done/"
        started = time.monotonic()
        [mail] = mailbox.wait_for("dana@example.org", timeout=60)
        print(f"reset mail arrived {time.monotonic() - started:.1f} s after the form was posted")
        assert site.url in text_of(mail)

        path = link_in(mail, "/accounts/reset/")
        form = browser.get(f"{site.url}{path}", timeout=30)  # follows to the set-password form
        assert "Choose a new password" in form.text
        done = csrf_post(browser, form.url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
        assert done.status_code == 302 and done.headers["Location"] == "/accounts/reset/done/"
        assert User.objects.get(username="dana").check_password(NEW_PASSWORD)
        assert "This link no longer works" in requests.get(f"{site.url}{path}", timeout=30).text
    finally:
        site.stop()

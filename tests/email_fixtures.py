"""Fixtures of the email tests: a real SMTP server (tests/smtp.py) that this process's mail goes to."""
import pytest

from .smtp import SMTPServer


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free port; this process sends to it over SMTP (tasks run in-process
    here, as in the embedded default, unless a test starts a worker)."""
    server = SMTPServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", server.port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.SITE_URL = "http://testserver"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # many sign-ins
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mailbox(smtp_server):
    return smtp_server.mailbox


def rates(settings, **changed):
    """Override throttle rates (e.g. ``email="2/hour"``) for this test."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **changed},
    }

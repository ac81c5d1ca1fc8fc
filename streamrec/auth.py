"""Login throttling per account: bounded failed logins per hour, for the site and the API alike.

Every login path (the login page, the API token endpoint, admin) goes through ``authenticate``,
so the check lives in the authentication backend and failures are recorded from Django's
``user_login_failed`` signal. Records live in the database, shared by every web process.
"""
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.utils import timezone

from .models import LoginFailure

WINDOW = timedelta(hours=1)


def recent_failures(username: str) -> int:
    return LoginFailure.objects.filter(username=username.lower(), failed_at__gte=timezone.now() - WINDOW).count()


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and recent_failures(username) >= settings.LOGIN_FAILURES_PER_HOUR:
            # Refuse even the right password: the account is under attack.
            raise PermissionDenied("too many failed logins for this account")
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_login_failed)
def record_login_failure(sender, credentials, request=None, **kwargs):
    username = (credentials or {}).get("username")
    if username:
        LoginFailure.objects.create(username=str(username)[:150].lower())

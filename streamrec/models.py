from django.conf import settings
from django.db import models


class QueuedTask(models.Model):
    """A Celery task that could not be sent because the broker was down; sent once it is back."""

    name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({'sent' if self.sent_at else 'waiting'})"


class LoginFailure(models.Model):
    """A failed login for an account name; too many within an hour lock that account's logins."""

    username = models.CharField(max_length=150)
    failed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["username", "failed_at"])]


class CacheEntry(models.Model):
    """The table of the default cache where no Redis is configured (Django's DatabaseCache schema,
    see ``streamrec.cache``): shared by every process, so each sees every invalidation. A model,
    so ``migrate`` creates it."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "streamrec_cache"


class EmailPreference(models.Model):
    """What an account chose about mail. ``confirmed_address`` is the address (exactly as in
    ``User.email``) whose signed confirmation link was followed: the weekly digest goes only to an
    address equal to it, so a changed address gets none until it is confirmed too."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="email_preference")
    confirmed_address = models.EmailField(blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    weekly_digest = models.BooleanField(default=False, help_text="Opted in to the weekly digest")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.confirmed_address or 'no confirmed address'}"

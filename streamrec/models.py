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

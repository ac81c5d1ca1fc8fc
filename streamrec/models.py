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


class ThrottleCacheEntry(models.Model):
    """The table of the ``throttle`` cache (Django's DatabaseCache schema): the sign-in/sign-up and
    sync throttle counters, shared by every web process. A model, so ``migrate`` creates it."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "streamrec_throttle_cache"


class Revision(models.Model):
    """A numbered change of something processes keep copies of (``streamrec.revisions``): a process
    re-reads the number every few seconds and drops its copies when it has moved on."""

    name = models.CharField(max_length=32, primary_key=True)
    number = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} #{self.number}"

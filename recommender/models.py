from django.conf import settings
from django.db import models


class ModelVersion(models.Model):
    """One training run: what was trained on what, how well it did, and where its artifact is.

    The serving version is the ready version activated most recently; older ready versions stay
    for rollback.
    """

    class Status(models.TextChoices):
        TRAINING = "training", "Training"
        READY = "ready", "Ready"
        REJECTED = "rejected", "Rejected (worse than serving)"
        FAILED = "failed", "Failed"

    algorithm = models.CharField(max_length=64)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TRAINING, db_index=True)
    n_ratings = models.PositiveIntegerField(default=0)
    n_users = models.PositiveIntegerField(default=0)
    n_titles = models.PositiveIntegerField(default=0)
    rmse = models.FloatField(null=True, blank=True)
    mae = models.FloatField(null=True, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    artifact_path = models.CharField(max_length=500, blank=True)
    artifact_sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(activated_at__isnull=False) | models.Q(status="ready"),
                name="modelversion_only_ready_is_activated",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.pk} {self.algorithm} ({self.status})"


class DigestRun(models.Model):
    """One sending of the weekly digest ("New on your services for you") for the week starting
    ``week`` (a Monday). Counts grow as its batches finish: each subscriber ends as sent, empty
    (nothing new for them), skipped (already mailed this week) or failed."""

    week = models.DateField(db_index=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    subscribers = models.PositiveIntegerField(default=0, help_text="Opted in with a confirmed address when the run started")
    batches = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    empty = models.PositiveIntegerField(default=0, help_text="Nothing new for them this week: no mail")
    skipped = models.PositiveIntegerField(default=0, help_text="Already mailed this week")
    failed = models.PositiveIntegerField(default=0, help_text="SMTP refused, or still failing after every retry")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"digest of {self.week} (run {self.pk})"

    @property
    def done(self) -> int:
        return self.sent + self.empty + self.skipped + self.failed


class DigestDelivery(models.Model):
    """One subscriber's digest of one week: the row is claimed before the mail is sent, and there
    is at most one per user and week, so no run (nor two at once) mails anyone twice."""

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        EMPTY = "empty", "Nothing new"
        FAILED = "failed", "Failed (may be retried)"
        REFUSED = "refused", "Refused by the mail server"

    run = models.ForeignKey(DigestRun, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_deliveries")
    week = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SENDING)
    titles = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=1)
    error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "digest deliveries"
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="digest_once_per_user_and_week")]

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

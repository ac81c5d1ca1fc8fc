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


class KeptRanking(models.Model):
    """A user's last unfiltered ranking with its explanations, kept where every web process finds it.

    ``ranking`` (packed by ``selectors.KeptList``): the serving version and a fingerprint of the
    ratings it was computed from, and the best titles with their predicted stars and the liked title
    that explains each. It is read in the same query as the user's ratings and served only while
    that version still serves and the fingerprint matches those ratings (``selectors.kept_ranking``),
    so it is never stale.

    ``answer`` (packed by ``selectors.KeptAnswer``, empty when none): the JSON body of the user's
    last default API answer (``GET /api/v1/me/recommendations/`` without parameters), stamped with
    what it was made from: the serving version, the ratings and dismissals, and the catalog revision
    and time of the title summaries shown in it. Served only while all of them still hold
    (``selectors.kept_answer``).

    Derived data: on PostgreSQL the table is UNLOGGED (no write-ahead log; after a crash it is empty
    and rankings are computed again).
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+")
    ranking = models.BinaryField()
    # A database default too: processes still running the code before this field insert rows without it.
    answer = models.BinaryField(default=b"", db_default=b"")

    def __str__(self) -> str:
        return f"ranking of user {self.user_id}"

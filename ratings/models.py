from django.conf import settings
from django.db import models
from django.utils import timezone

# Half stars from 0.5 to 5.0; binary floats represent every one of them exactly.
ALLOWED_SCORES = [step / 2 for step in range(1, 11)]
MIN_SCORE = ALLOWED_SCORES[0]
MAX_SCORE = ALLOWED_SCORES[-1]


class Rating(models.Model):
    # No index of its own: the unique (user, title) index serves every lookup by user.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings", db_index=False)
    title = models.ForeignKey("catalog.Title", on_delete=models.CASCADE, related_name="ratings")
    score = models.FloatField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "title"], name="rating_one_per_user_and_title"),
            models.CheckConstraint(condition=models.Q(score__in=ALLOWED_SCORES), name="rating_score_half_stars"),
        ]
        # Bulk imports pay for every index on this, the largest table: keep only the unique (user,
        # title) index and the title foreign key's own index.

    def __str__(self) -> str:
        return f"{self.user} → {self.title}: {self.score}"


def title_model() -> type[models.Model]:
    """The title model ratings point at (``catalog.Title``), read from ``Rating.title``: ratings sit
    below the catalog and never import it."""
    return Rating._meta.get_field("title").related_model


class WatchlistEntry(models.Model):
    """A title the user wants to watch later."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watchlist")
    title = models.ForeignKey("catalog.Title", on_delete=models.CASCADE, related_name="watchlisted_by")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-added_at"]
        constraints = [models.UniqueConstraint(fields=["user", "title"], name="watchlist_one_per_user_and_title")]


class Dismissal(models.Model):
    """The user is not interested in this title: it never comes back in their recommendations."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dismissals")
    title = models.ForeignKey("catalog.Title", on_delete=models.CASCADE, related_name="dismissed_by")
    dismissed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-dismissed_at"]
        constraints = [models.UniqueConstraint(fields=["user", "title"], name="dismissal_one_per_user_and_title")]



class NotSeen(models.Model):
    """The user told onboarding they have not seen this title: it is not asked about again. Unlike
    a dismissal it says nothing against the title, which stays recommendable."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="not_seen")
    title = models.ForeignKey("catalog.Title", on_delete=models.CASCADE, related_name="not_seen_by")
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "title"], name="not_seen_one_per_user_and_title")]


# Where the popular (0) <-> lesser-known (1) dial sits for a user who has not moved it: the
# reranker's default popularity penalty (recommender.pipeline.reranking) is set for this position.
DEFAULT_NOVELTY = 0.5
# The dial's stops, as a person reads them (the stored value is any number from 0 to 1).
NOVELTY_STOPS = [(0.0, "Popular"), (0.25, ""), (0.5, "Balanced"), (0.75, ""), (1.0, "Lesser-known")]


class Preference(models.Model):
    """What a user chose about their lists: ``novelty`` is the popular (0) <-> lesser-known (1)
    dial; None until they set it (the reranker's default applies)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="preference")
    novelty = models.FloatField(null=True, blank=True)
    # While True, watch events are not recorded (the user paused their watch history).
    watch_history_paused = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(novelty__gte=0.0, novelty__lte=1.0) | models.Q(novelty__isnull=True),
                                              name="preference_novelty_0_to_1")]


class WatchEvent(models.Model):
    """One report from a player: the user started, progressed through or finished a title. A series
    counts at title level (episodes are out of scope). ``client_event_id`` is the client's own id
    for the event, so a resend is harmless."""

    class Kind(models.TextChoices):
        START = "start", "Started"
        PROGRESS = "progress", "Progress"
        FINISH = "finish", "Finished"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watch_events", db_index=False)
    title = models.ForeignKey("catalog.Title", on_delete=models.CASCADE, related_name="watch_events")
    event = models.CharField(max_length=8, choices=Kind.choices)
    position_seconds = models.PositiveIntegerField()
    duration_seconds = models.PositiveIntegerField()
    client_event_id = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "client_event_id"], name="watch_event_once_per_client_id"),
            models.CheckConstraint(condition=models.Q(position_seconds__lte=models.F("duration_seconds")),
                                   name="watch_event_position_within_duration"),
            models.CheckConstraint(condition=models.Q(duration_seconds__gt=0), name="watch_event_duration_positive"),
        ]
        indexes = [models.Index(fields=["user", "title", "occurred_at"], name="watch_event_user_title_time")]

    def __str__(self) -> str:
        return f"{self.user} {self.event} {self.title} at {self.position_seconds}/{self.duration_seconds}s"


class Viewing(models.Model):
    """Where a user stands with one title, made from their watch events (``ratings.watching``):
    the latest position, when they last finished it, and whether they abandoned it. ``implicit_score``
    is what the recommender reads as the user's score of the title (None: it says nothing)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="viewings", db_index=False)
    title = models.ForeignKey("catalog.Title", on_delete=models.CASCADE, related_name="viewings")
    position_seconds = models.PositiveIntegerField()
    duration_seconds = models.PositiveIntegerField()
    last_event_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    abandoned_at = models.DateTimeField(null=True, blank=True)
    implicit_score = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-last_event_at"]
        constraints = [models.UniqueConstraint(fields=["user", "title"], name="viewing_one_per_user_and_title")]
        indexes = [models.Index(fields=["last_event_at"], name="viewing_last_event")]

    @property
    def share(self) -> float:
        return self.position_seconds / self.duration_seconds

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
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(novelty__gte=0.0, novelty__lte=1.0) | models.Q(novelty__isnull=True),
                                              name="preference_novelty_0_to_1")]

"""Catalog models of the entity-resolution and tag work: merges of titles shown to be one work,
conflicts held for review, MovieLens user tags and the tag genome. Imported by ``catalog.models``."""
from django.conf import settings
from django.db import models


class TitleMerge(models.Model):
    """Two titles an external id showed to be one work: ``merged_*`` describe the title that was
    folded into ``survivor`` (its ratings, availabilities, credits, watchlists, tags … moved there)."""

    run = models.ForeignKey("catalog.ImportRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="merges")
    survivor = models.ForeignKey("catalog.Title", null=True, on_delete=models.SET_NULL, related_name="merges_into")
    merged_title_id = models.PositiveIntegerField(db_index=True, help_text="The id the merged title had (its page redirects)")
    merged_name = models.CharField(max_length=300)
    merged_year = models.PositiveSmallIntegerField(null=True, blank=True)
    merged_ids = models.JSONField(default=dict, blank=True, help_text="External ids the merged title carried")
    evidence = models.CharField(max_length=200, help_text="The id that showed both titles to be one work")
    moved = models.JSONField(default=dict, blank=True, help_text="Rows moved to the survivor, and duplicates dropped")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"#{self.merged_title_id} {self.merged_name} → #{self.survivor_id}"


class TitleConflict(models.Model):
    """An external id that points at two titles which cannot be one work (their kinds differ, their
    years differ by more than one, or they carry different ids of one kind): held for a curator."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MERGED = "merged", "Merged by a curator"
        DISMISSED = "dismissed", "Not the same work"

    run = models.ForeignKey("catalog.ImportRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="conflicts")
    title = models.ForeignKey("catalog.Title", on_delete=models.CASCADE, related_name="conflicts")
    other = models.ForeignKey("catalog.Title", on_delete=models.CASCADE, related_name="conflicts_as_other")
    evidence = models.CharField(max_length=200)
    reason = models.CharField(max_length=300)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["status", "-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["title", "other", "evidence"], name="title_conflict_once")]

    def __str__(self) -> str:
        return f"{self.evidence}: #{self.title_id} / #{self.other_id} ({self.reason})"


class Tag(models.Model):
    """A user tag, normalised: lower case, single spaces ("Dark  Comedy " -> "dark comedy")."""

    name = models.CharField(max_length=255, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TagApplication(models.Model):
    """One person put one tag on one title (MovieLens tags.csv; the person is the account the
    ratings of the same dump map them to). A title's tag count is the number of its applications."""

    title = models.ForeignKey("catalog.Title", on_delete=models.CASCADE, related_name="tag_applications")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="applications")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tag_applications")
    applied_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["title", "tag", "user"], name="tag_once_per_user_and_title")]
        indexes = [models.Index(fields=["tag"])]

    def __str__(self) -> str:
        return f"{self.tag} on {self.title_id} by {self.user_id}"


class GenomeTag(models.Model):
    """A tag of the MovieLens tag genome (genome-tags.csv: 1,128 of them in ml-latest)."""

    genome_id = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=255)

    class Meta:
        ordering = ["genome_id"]

    def __str__(self) -> str:
        return self.name


class GenomeScore(models.Model):
    """How relevant a genome tag is to a title, 0 to 1 (genome-scores.csv)."""

    title = models.ForeignKey("catalog.Title", on_delete=models.CASCADE, related_name="genome_scores")
    tag = models.ForeignKey(GenomeTag, on_delete=models.CASCADE, related_name="scores")
    relevance = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["title", "tag"], name="genome_score_once")]

    def __str__(self) -> str:
        return f"{self.tag} {self.relevance:.3f} for {self.title_id}"
